"""Checkpoints: a folder that rebuilds the model exactly, without the original --init folder.

API:
  save_checkpoint(model, codec, folder, recipe=None, weights=None) -> Path   the export
  write_export(model, codec, folder, recipe=None, weights=None)   the same into an existing
                                               folder; weights: a whole state dict (FSDP)
  save_train_state(folder, model, optimizer, extra)   sharded: torch.distributed.checkpoint,
                                               each rank writes its own shards (collective)
  load_train_state(folder, model, optimizer) -> dict   each rank reads only its shards back
                                               into model and optimizer; returns ``extra``
  build_from_folder(folder) -> (PixelSAIL, TextCodec)  the model of a checkpoint, random weights
  load_checkpoint(folder, device="cpu") -> (PixelSAIL, TextCodec)   with the exported weights
  read_recipe(folder) -> dict
  latest_checkpoint(run_dir) -> Path or None   the newest complete ``step-*`` folder of a run
  CheckpointError

Layout: config.json (PixelSAILConfig), lm_config.json (the Qwen2 config), model.safetensors (the
consolidated weights, for inference), tokenizer/, recipe.json (how it was trained) and, for
resume, train_state/ (DCP shards of weights and optimizer state) + train_state.json (step,
scheduler). A checkpoint is written to a temporary folder and renamed, so a killed run never
leaves a half-written one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import torch

from models.attention import ATTENTION
from models.config import PixelSAILConfig
from models.model import PixelSAIL
from models.tokenizer import TextCodec
from perbench.errors import PerBenchError


class CheckpointError(PerBenchError):
    """A checkpoint folder that is missing files or does not match the model code."""


def write_export(
    model: PixelSAIL,
    codec: TextCodec,
    folder: str | Path,
    recipe: dict | None = None,
    weights: dict[str, torch.Tensor] | None = None,
) -> None:
    """``weights`` None saves ``model``'s own tensors; a sharded (FSDP) model passes its whole
    state dict instead, so that the file is the same as an unsharded model's."""
    from safetensors.torch import save_file, save_model

    folder = Path(folder)
    (folder / "config.json").write_text(model.config.to_json())
    (folder / "lm_config.json").write_text(model.lm.config.to_json_string())
    if weights is None:
        save_model(model, str(folder / "model.safetensors"))
    else:
        save_file(_unshared(weights, model), str(folder / "model.safetensors"), {"format": "pt"})
    codec.save(folder / "tokenizer")
    (folder / "recipe.json").write_text(json.dumps(recipe or {}, indent=2, sort_keys=True))


def publish(staging: Path, folder: Path) -> Path:
    """Rename a fully written ``staging`` folder to ``folder`` (replacing an older one)."""
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(staging, folder)
    return folder


def save_checkpoint(
    model: PixelSAIL,
    codec: TextCodec,
    folder: str | Path,
    recipe: dict | None = None,
    weights: dict[str, torch.Tensor] | None = None,
) -> Path:
    """The inference export of ``model`` in ``folder``, written atomically."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        write_export(model, codec, staging, recipe, weights)
        return publish(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def save_train_state(folder: str | Path, model, optimizer, extra: dict) -> None:
    """Sharded weights + optimizer state (DCP; every rank calls it and writes its own shards,
    nothing is gathered) and ``extra`` (JSON: step, scheduler) beside them, by rank 0."""
    import torch.distributed as dist
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint.state_dict import get_state_dict

    folder = Path(folder)
    weights, optimizer_state = get_state_dict(model, optimizer)
    dcp.save({"model": weights, "optim": optimizer_state}, checkpoint_id=folder / "train_state")
    if not dist.is_initialized() or dist.get_rank() == 0:
        (folder / "train_state.json").write_text(json.dumps(extra, sort_keys=True))


def load_train_state(folder: str | Path, model, optimizer) -> dict:
    """Each rank reads its own shards of weights and optimizer state into ``model`` and
    ``optimizer`` (sharded or not, as they are now); returns the saved ``extra``. A parameter
    that had no gradient before the save has no AdamW state in it: it keeps a fresh one."""
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint import DefaultLoadPlanner
    from torch.distributed.checkpoint.state_dict import get_state_dict, set_state_dict

    folder = Path(folder)
    if not (folder / "train_state.json").is_file():
        raise CheckpointError(
            "no train state to resume from (train_state.json is missing)",
            where=str(folder),
            hint="resume needs a checkpoint written by this version of 'perbench model train'",
        )
    weights, optimizer_state = get_state_dict(model, optimizer)
    state = {"model": weights, "optim": optimizer_state}
    stored = dcp.FileSystemReader(folder / "train_state").read_metadata().state_dict_metadata
    missing = [k for k in _flat_keys(state) if k not in stored and not k.startswith("optim.")]
    if missing:
        raise CheckpointError(
            f"the saved train state has no weights for {missing[:3]}",
            where=str(folder),
            hint="resume with the model config the run was started with",
        )
    dcp.load(
        state,
        checkpoint_id=folder / "train_state",
        planner=DefaultLoadPlanner(allow_partial_load=True),
    )
    set_state_dict(
        model, optimizer, model_state_dict=state["model"], optim_state_dict=state["optim"]
    )
    return json.loads((folder / "train_state.json").read_text())


def _flat_keys(state: dict, prefix: str = "") -> list[str]:
    """DCP's dotted names of the tensors in a nested state dict."""
    keys = []
    for key, value in state.items():
        name = f"{prefix}{key}"
        keys += _flat_keys(value, name + ".") if isinstance(value, dict) else [name]
    return keys


def _unshared(weights: dict[str, torch.Tensor], model: PixelSAIL) -> dict[str, torch.Tensor]:
    """Contiguous tensors, one name per tied parameter (the first in sorted order, as
    safetensors' save_model keeps), which load_model requires."""
    names_by_param: dict[int, list[str]] = {}
    for name, param in model.named_parameters(remove_duplicate=False):
        names_by_param.setdefault(id(param), []).append(name)
    tied = {name for names in names_by_param.values() for name in sorted(names)[1:]}
    return {name: t.contiguous() for name, t in weights.items() if name not in tied}


def build_from_folder(folder: str | Path) -> tuple[PixelSAIL, TextCodec]:
    """The model a checkpoint describes (config, LM config, tokenizer), weights not loaded."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    folder = Path(folder)
    config = PixelSAILConfig.from_dict(json.loads((folder / "config.json").read_text()))
    codec = TextCodec.load(folder / "tokenizer")
    lm_config = Qwen2Config.from_dict(json.loads((folder / "lm_config.json").read_text()))
    lm_config._attn_implementation = ATTENTION
    return PixelSAIL(config, codec, language_model=Qwen2ForCausalLM(lm_config)), codec


def load_checkpoint(folder: str | Path, device: str = "cpu") -> tuple[PixelSAIL, TextCodec]:
    from safetensors.torch import load_model

    folder = Path(folder)
    for name in ("config.json", "lm_config.json", "model.safetensors", "tokenizer"):
        if not (folder / name).exists():
            raise CheckpointError(
                f"not a Pixel-SAIL checkpoint: {name} is missing",
                where=str(folder),
                hint="pass a folder written by 'perbench model train'",
            )
    model, codec = build_from_folder(folder)
    try:
        load_model(model, str(folder / "model.safetensors"), device=device)
    except RuntimeError as exc:
        raise CheckpointError(f"weights do not fit the model: {exc}", where=str(folder)) from None
    return model.to(device).eval(), codec


def read_recipe(folder: str | Path) -> dict:
    path = Path(folder) / "recipe.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def latest_checkpoint(run_dir: str | Path) -> Path | None:
    steps = sorted(Path(run_dir).glob("step-*"), key=lambda p: p.name)
    complete = [p for p in steps if (p / "model.safetensors").is_file()]
    return complete[-1] if complete else None
