"""Reference Pixel-SAIL model (PyTorch + transformers): config, model, data, train, predict.

Modules:
  models.config      PixelSAILConfig, SIZES (tiny, 0.5b, 3b), ABLATIONS, make_config, TrainConfig
  models.tokenizer   TextCodec: local HF tokenizer or byte-level BPE built offline; [SEG], <PromptK>
  models.prompting   model_prompt(sample), training_answers(sample): the per-task text formats
  models.layers      PatchEmbedding (16x16 patches, one bias-free linear), UpsampleBlock,
                     MaskFeatures, sample_points (uncertainty), point_mask_losses
  models.attention   mixed attention masks (dense, mask-free prefix, FlexAttention), 2D RoPE,
                     run_decoder (the Qwen2 layers with our mask and positions)
  models.model       PixelSAIL (Qwen2 decoder + prompt injection + [SEG] mask head + distillation)
  models.expert      VisionExpert protocol, FrozenModuleExpert, PrecomputedExpert
  models.experts     SAM2 / Mask2Former adapters over transformers (--expert sam2:PATH ...)
  models.data        Example, examples_from_samples/release/sources, load_examples
  models.batching    Encoder, collate, ExampleDataset, StepBatchSampler, make_loader
  models.train_batches  training_batches: each rank's weighted, length-grouped batch stream
  models.optim       make_optimizer: AdamW (decay on matrices only), warmup + cosine schedule
  models.synthetic   SYNTHETIC shapes learnability set (all three tasks, exact masks)
  models.checkpoint  save_checkpoint / load_checkpoint / latest_checkpoint (resume)
  models.train       the training script (CPU, one GPU, torchrun DDP/FSDP); see its docstring
  models.distributed process group, FSDP2, gradient sync, sharded (DCP) checkpoints
  models.predict     generate (greedy, batched, KV cache), PixelSAILPredictor, predict_release
  models.demo        train_and_predict: the tiny model on a release, for ``perbench demo``
  models.cli         ``perbench model train|predict``

Abbreviations: S image side, N patches, D hidden size, T text tokens, RLE run-length encoding,
LM language modelling, DDP DistributedDataParallel, MFU model FLOPs utilisation.
"""
