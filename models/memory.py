"""A training-memory estimate, printed before a run: weights and AdamW state, and activations.

API:
  count_parameters(config, vocab_size) -> int    built on the meta device (no memory)
  estimate_training_memory(config, batch_size, text_tokens=128, vocab_size=151_936,
                           world=1, fsdp=False, image_side=None) -> MemoryEstimate
  MemoryEstimate   .parts (name -> bytes), .total, .lines() -> printable lines (GiB)

What is counted (bf16 autocast over float32 weights, the model's own training step):
  weights 4 B, gradients 4 B, AdamW moments 8 B per parameter (divided by the world size
  under FSDP); decoder activations per sample of L = image + text tokens, at 2 B: with
  activation checkpointing every layer's input (L x D) plus one layer's recompute
  (L x (8 D + 4 I + 2 kv)), else that working set for every layer; the upsampler per sample:
  each block's five C-wide maps (transposed conv, GELU, depthwise, pointwise, LayerNorm) at
  4x the previous block's pixels and the post-MLP at full resolution (C + C + mask_dim); with
  checkpointing only the block inputs and the mask features are kept, plus the largest
  recompute; and float32 mask logits of one [SEG]. Attention scores are not counted (flash
  and FlexAttention kernels never store them), nor the allocator's fragmentation: keep
  10-20% headroom.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import torch

from models.config import PixelSAILConfig

GIB = 2**30
BF16, FP32 = 2, 4


def count_parameters(config: PixelSAILConfig, vocab_size: int) -> int:
    """Trainable parameters of the model ``config`` describes (tied embeddings counted once)."""
    from models.model import PixelSAIL, build_language_model

    stand_in = SimpleNamespace(
        seg_id=0, end_id=1, answer_id=2, pad_id=3, prompt_ids=list(range(4, 4 + 16))
    )
    with torch.device("meta"):
        language_model = build_language_model(
            PixelSAILConfig(**{**config.__dict__, "init_from": None}), vocab_size
        )
        model = PixelSAIL(config, stand_in, language_model=language_model)
    return sum(p.numel() for p in model.parameters())


@dataclass
class MemoryEstimate:
    parts: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.parts.values())

    def lines(self) -> list[str]:
        rows = [f"  {name}: {value / GIB:.1f} GiB" for name, value in self.parts.items()]
        return ["memory estimate (per GPU):", *rows, f"  total: {self.total / GIB:.1f} GiB"]


def estimate_training_memory(
    config: PixelSAILConfig,
    batch_size: int,
    text_tokens: int = 128,
    vocab_size: int = 151_936,
    world: int = 1,
    fsdp: bool = False,
    image_side: int | None = None,
) -> MemoryEstimate:
    """Bytes per GPU of one training step at ``batch_size`` images of ``image_side``^2 (default
    the config's long side, a square image: the largest token count)."""
    side = image_side or config.image_size
    patches = (side // config.patch_size) ** 2
    length = patches + text_tokens
    hidden, inner = config.hidden_size, config.intermediate_size
    kv = hidden // config.num_attention_heads * config.num_key_value_heads
    params = count_parameters(config, vocab_size)
    shards = world if fsdp else 1
    estimate = MemoryEstimate()
    estimate.parts["weights + gradients (fp32)"] = params * 8 / shards
    estimate.parts["AdamW moments (fp32)"] = params * 8 / shards
    layer_working = length * (8 * hidden + 4 * inner + 2 * kv) * BF16
    if config.activation_checkpointing:
        decoder = config.num_hidden_layers * length * hidden * BF16 + layer_working
    else:
        decoder = config.num_hidden_layers * layer_working
    estimate.parts[f"decoder activations (x{batch_size})"] = batch_size * decoder
    if config.upsampler:
        width = config.mask_width
        pixels = [patches * 4 ** (k + 1) for k in range(config.upsample_blocks)]
        blocks = [5 * width * p * BF16 for p in pixels]
        full = pixels[-1]
        post = full * (2 * width + config.mask_dim) * BF16
        if config.activation_checkpointing:
            stored = sum(width * p // 4 * BF16 for p in pixels) + full * config.mask_dim * BF16
            upsampler = stored + max(*blocks, post)
        else:
            upsampler = sum(blocks) + post
        upsampler += full * FP32
        estimate.parts[f"upsampler activations (x{batch_size})"] = batch_size * upsampler
    return estimate
