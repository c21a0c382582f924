"""Checkpoints: a folder that rebuilds the model exactly, without the original --init folder.

API:
  save_checkpoint(model, codec, folder, recipe=None, train_state=None, weights=None) -> Path
                                               weights: a whole state dict (FSDP, gathered)
  load_checkpoint(folder, device="cpu") -> (PixelSAIL, TextCodec)
  load_train_state(folder) -> dict or None     optimizer, scheduler, step, RNG (for resume)
  latest_checkpoint(run_dir) -> Path or None   the newest complete ``step-*`` folder of a run
  CheckpointError

Layout: config.json (PixelSAILConfig), lm_config.json (the Qwen2 config), model.safetensors,
tokenizer/, recipe.json (how it was trained), train_state.pt (resume only). A checkpoint is
written to a temporary folder and renamed, so a killed run never leaves a half-written one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import torch

from models.config import PixelSAILConfig
from models.model import PixelSAIL
from models.tokenizer import TextCodec
from perbench.errors import PerBenchError


class CheckpointError(PerBenchError):
    """A checkpoint folder that is missing files or does not match the model code."""


def save_checkpoint(
    model: PixelSAIL,
    codec: TextCodec,
    folder: str | Path,
    recipe: dict | None = None,
    train_state: dict | None = None,
    weights: dict[str, torch.Tensor] | None = None,
) -> Path:
    """``weights`` None saves ``model``'s own tensors; a sharded (FSDP) model passes its whole
    state dict instead, so that the file is the same as an unsharded model's."""
    from safetensors.torch import save_file, save_model

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        (staging / "config.json").write_text(model.config.to_json())
        (staging / "lm_config.json").write_text(model.lm.config.to_json_string())
        if weights is None:
            save_model(model, str(staging / "model.safetensors"))
        else:
            save_file(
                _unshared(weights, model), str(staging / "model.safetensors"), {"format": "pt"}
            )
        codec.save(staging / "tokenizer")
        (staging / "recipe.json").write_text(json.dumps(recipe or {}, indent=2, sort_keys=True))
        if train_state is not None:
            torch.save(train_state, staging / "train_state.pt")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def _unshared(weights: dict[str, torch.Tensor], model: PixelSAIL) -> dict[str, torch.Tensor]:
    """Contiguous tensors, one name per tied parameter (the first in sorted order, as
    safetensors' save_model keeps), which load_model requires."""
    names_by_param: dict[int, list[str]] = {}
    for name, param in model.named_parameters(remove_duplicate=False):
        names_by_param.setdefault(id(param), []).append(name)
    tied = {name for names in names_by_param.values() for name in sorted(names)[1:]}
    return {name: t.contiguous() for name, t in weights.items() if name not in tied}


def load_checkpoint(folder: str | Path, device: str = "cpu") -> tuple[PixelSAIL, TextCodec]:
    from safetensors.torch import load_model
    from transformers import Qwen2Config, Qwen2ForCausalLM

    folder = Path(folder)
    for name in ("config.json", "lm_config.json", "model.safetensors", "tokenizer"):
        if not (folder / name).exists():
            raise CheckpointError(
                f"not a Pixel-SAIL checkpoint: {name} is missing",
                where=str(folder),
                hint="pass a folder written by 'perbench model train'",
            )
    config = PixelSAILConfig.from_dict(json.loads((folder / "config.json").read_text()))
    codec = TextCodec.load(folder / "tokenizer")
    lm_config = Qwen2Config.from_dict(json.loads((folder / "lm_config.json").read_text()))
    lm_config._attn_implementation = "sdpa"
    model = PixelSAIL(config, codec, language_model=Qwen2ForCausalLM(lm_config))
    try:
        load_model(model, str(folder / "model.safetensors"), device=device)
    except RuntimeError as exc:
        raise CheckpointError(f"weights do not fit the model: {exc}", where=str(folder)) from None
    return model.to(device).eval(), codec


def load_train_state(folder: str | Path) -> dict | None:
    path = Path(folder) / "train_state.pt"
    return torch.load(path, weights_only=False) if path.is_file() else None


def read_recipe(folder: str | Path) -> dict:
    path = Path(folder) / "recipe.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def latest_checkpoint(run_dir: str | Path) -> Path | None:
    steps = sorted(Path(run_dir).glob("step-*"), key=lambda p: p.name)
    complete = [p for p in steps if (p / "model.safetensors").is_file()]
    return complete[-1] if complete else None
