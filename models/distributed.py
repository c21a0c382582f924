"""Distributed running of the training step: process group, FSDP2, gradient sync, checkpoints.

API:
  setup(fsdp) -> (rank, world size, device)   initialises the process group under torchrun
  barrier(world)
  shard_model(model, bf16) -> model            FSDP2 per decoder layer + root, bf16 parameters
                                               with float32 gradient reduction (mixed precision)
  export_weights(model, fsdp) -> dict | None   whole weights on rank 0 (for the export only)
  sync_gradients(wrapped, model, fsdp, sync)   context: all-reduce only on a step's last
                                               micro-batch (DDP no_sync / FSDP2 switch)
  save(folder, model, codec, optimizer, extra, recipe, fsdp, rank, world) -> folder
                                               atomic checkpoint: DCP shards from every rank,
                                               consolidated export from rank 0
  leave_process_group()
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from models.checkpoint import publish, save_train_state, write_export
from models.model import PixelSAIL
from perbench.errors import PerBenchError


def setup(fsdp: bool) -> tuple[int, int, str]:
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


def barrier(world: int) -> None:
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


def export_weights(model: PixelSAIL, fsdp: bool) -> dict | None:
    """The whole weights on rank 0 (CPU) of a sharded model, for the inference export; None
    when ``model`` is not sharded. A collective under FSDP (every rank calls it)."""
    if not fsdp:
        return None
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    options = StateDictOptions(full_state_dict=True, cpu_offload=True)
    return get_model_state_dict(model, options=options)


def sync_gradients(wrapped, model: PixelSAIL, fsdp: bool, sync: bool):
    """A context in which backward all-reduces gradients only when ``sync`` (the last
    micro-batch of a step): DDP's no_sync, FSDP2's set_requires_gradient_sync."""
    import contextlib

    if fsdp:
        model.set_requires_gradient_sync(sync)
        return contextlib.nullcontext()
    if sync or not hasattr(wrapped, "no_sync"):
        return contextlib.nullcontext()
    return wrapped.no_sync()


def save(folder: Path, model, codec, optimizer, extra, recipe, fsdp, rank, world) -> Path:
    """A checkpoint, atomically: every rank writes its DCP shards into a staging folder, rank
    0 adds the consolidated export and renames it."""
    import shutil

    staging = folder.parent / f".{folder.name}.partial"
    if rank == 0:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
    barrier(world)
    weights = export_weights(model, fsdp)
    save_train_state(staging, model, optimizer, extra)
    if rank == 0:
        write_export(model, codec, staging, recipe, weights)
        publish(staging, folder)
    barrier(world)
    return folder


def leave_process_group() -> None:
    """Tear the process group down before exit: gloo's threads aborted the process otherwise."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
