"""Vision experts for distillation (training only): a frozen module, or features saved on disk.

API:
  VisionExpert (protocol)   .features(pixel_values (B, 3, S, S), image_ids) ->
                            {"patch": (B, Cp, h, w), "pixel": (B, Cx, h', w')}  (either key)
  FrozenModuleExpert(module)          wraps any nn.Module returning that dict; frozen, no grad
  load_expert_module("pkg.mod:factory") -> FrozenModuleExpert   (your own SAM2 / Mask2Former
                                      loader; the factory takes no arguments, returns the module)
  PrecomputedExpert(folder)           reads ``<folder>/<sha1(image_id)[:20]>.pt`` dicts;
                                      .load(image_ids) -> stacked CPU tensors (in a loader
                                      worker, models.train_batches)
  precompute_features(expert, examples, folder, encoder, progress=True) -> int  files written
                                      (encoder: a models.data.Encoder, for the resized pixels)

The paper distils Mask2Former's pixel-decoder features into the upsampled features ("pixel")
and SAM2's encoder features into the patch tokens ("patch"); those experts are not shipped
here, so the model takes whichever expert the user supplies.
"""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path
from typing import Protocol

import torch
from tqdm import tqdm

from models.batching import normalize_pixels
from perbench.errors import DependencyError


class VisionExpert(Protocol):
    def features(
        self, pixel_values: torch.Tensor, image_ids: list[str]
    ) -> dict[str, torch.Tensor]: ...


class FrozenModuleExpert:
    def __init__(self, module: torch.nn.Module):
        self.module = module.eval().requires_grad_(False)

    def to(self, device: str | torch.device) -> FrozenModuleExpert:
        self.module.to(device)
        return self

    @torch.no_grad()
    def features(self, pixel_values: torch.Tensor, image_ids: list[str]) -> dict:
        return self.module(pixel_values)


def load_expert_module(spec: str) -> FrozenModuleExpert:
    """``"package.module:factory"``: import it and call ``factory()`` for the frozen module."""
    module_name, _, attribute = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as exc:
        raise DependencyError(
            f"cannot load the expert factory: {exc}",
            where=spec,
            hint="pass --expert-module package.module:function",
        ) from None
    return FrozenModuleExpert(factory())


def feature_file(folder: Path, image_id: str) -> Path:
    return folder / f"{hashlib.sha1(image_id.encode()).hexdigest()[:20]}.pt"


class PrecomputedExpert:
    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise DependencyError("expert feature folder not found", where=str(self.folder))

    def features(self, pixel_values: torch.Tensor, image_ids: list[str]) -> dict:
        return {k: v.to(pixel_values.device) for k, v in self.load(image_ids).items()}

    def load(self, image_ids: list[str]) -> dict[str, torch.Tensor]:
        """The stacked CPU features of ``image_ids`` (what a DataLoader worker reads)."""
        loaded = []
        for image_id in image_ids:
            path = feature_file(self.folder, image_id)
            if not path.is_file():
                raise DependencyError(
                    f"no expert features for image {image_id!r}",
                    where=str(path),
                    hint="run models.expert.precompute_features on the training data",
                )
            loaded.append(torch.load(path, weights_only=True))
        return {key: torch.stack([item[key] for item in loaded]) for key in loaded[0]}


def precompute_features(
    expert: VisionExpert, examples, folder: str | Path, encoder, progress: bool = True
) -> int:
    """Save one feature dict per distinct image of ``examples`` (encoded by ``encoder``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    seen: set[str] = set()
    for example in tqdm(examples, desc="expert features", disable=not progress, unit="example"):
        if example.image_id in seen:
            continue
        seen.add(example.image_id)
        pixels = normalize_pixels(encoder.pixels(example)[None], encoder.config.pixel_norm)
        output = expert.features(pixels, [example.image_id])
        torch.save(
            {k: v[0].cpu() for k, v in output.items()}, feature_file(folder, example.image_id)
        )
        written += 1
    return written
