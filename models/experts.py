"""The paper's vision experts over transformers' models: SAM2 and Mask2Former, frozen.

API:
  Sam2Features(model)          a transformers ``Sam2Model``: pixel_values (B, 3, H, W)
                               (ImageNet-normalised) -> {"patch": (B, C, s/16, s/16)}, the image
                               embedding of its vision encoder (FPN neck, the authors'
                               ``image_embed``), s = the model's input side
  Mask2FormerFeatures(model, short_edge=800)   a transformers ``Mask2FormerModel`` (or
                               ...ForUniversalSegmentation) -> {"pixel": (B, C, h/4, w/4)}, its
                               pixel decoder's last state on the image at shortest edge 800
                               (aspect kept, the authors' processor call), cropped to the image
  shortest_edge_size(h, w, short, longest, divisor) -> (resized, padded)
  EXPERTS                      kind -> (loader(path) -> module, what it gives)
  load_expert(specs) -> FrozenModuleExpert   "sam2:PATH" and/or "mask2former:PATH" (local
                               folders saved with save_pretrained; never downloaded); several
                               specs give the union of their features

SAM2 resizes the model's (padded) input to its own square input size; both expect ImageNet
mean/std pixels, the model's default (config.pixel_norm "imagenet"). The teacher runs frozen,
in eval mode, without gradients (models.expert.FrozenModuleExpert) and under the training
step's autocast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from models.expert import FrozenModuleExpert
from perbench.errors import DependencyError, PerBenchError


def _resize(pixel_values: torch.Tensor, side: int) -> torch.Tensor:
    if pixel_values.shape[-2:] == (side, side):
        return pixel_values
    return F.interpolate(pixel_values, size=(side, side), mode="bilinear", align_corners=False)


class Sam2Features(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model
        size = model.config.vision_config.backbone_config.image_size
        self.side = int(size[0] if isinstance(size, list | tuple) else size)

    def forward(self, pixel_values: torch.Tensor) -> dict[str, torch.Tensor]:
        embeddings = self.model.get_image_embeddings(_resize(pixel_values, self.side))
        return {"patch": embeddings[-1]}


def shortest_edge_size(
    height: int, width: int, short: int, longest: int, divisor: int
) -> tuple[tuple[int, int], tuple[int, int]]:
    """(resized (h, w), padded (h, w)): the shorter side ``short`` with the aspect kept, the
    longer side at most ``longest``, then padded up to a multiple of ``divisor`` (the
    Mask2Former image processor's rule with size=800, as the authors call it)."""
    scale = min(short / min(height, width), longest / max(height, width))
    resized = (max(1, round(height * scale)), max(1, round(width * scale)))
    padded = tuple(-(-side // divisor) * divisor for side in resized)
    return resized, padded


class Mask2FormerFeatures(nn.Module):
    """The pixel decoder's last state on the image at shortest edge ``short_edge`` (aspect
    kept, padded to 32), cropped back to the image; ``square`` resizes to a square instead."""

    def __init__(self, model, short_edge: int = 800, square: int | None = None):
        super().__init__()
        self.model = getattr(model, "model", model)
        self.short_edge, self.square = short_edge, square

    def forward(self, pixel_values: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.square:
            output = self.model(pixel_values=_resize(pixel_values, self.square))
            return {"pixel": output.pixel_decoder_last_hidden_state}
        height, width = pixel_values.shape[-2:]
        resized, padded = shortest_edge_size(height, width, self.short_edge, 1333, 32)
        pixels = F.interpolate(pixel_values, size=resized, mode="bilinear", align_corners=False)
        pixels = F.pad(pixels, (0, padded[1] - resized[1], 0, padded[0] - resized[0]))
        features = self.model(pixel_values=pixels).pixel_decoder_last_hidden_state
        rows = round(features.shape[-2] * resized[0] / padded[0])
        cols = round(features.shape[-1] * resized[1] / padded[1])
        return {"pixel": features[..., :rows, :cols]}


def _load_sam2(path: str) -> nn.Module:
    from transformers import Sam2Model

    return Sam2Features(Sam2Model.from_pretrained(path, local_files_only=True))


def _load_mask2former(path: str) -> nn.Module:
    from transformers import Mask2FormerModel

    return Mask2FormerFeatures(Mask2FormerModel.from_pretrained(path, local_files_only=True))


EXPERTS: dict[str, tuple[Callable[[str], nn.Module], str]] = {
    "sam2": (_load_sam2, "patch"),
    "mask2former": (_load_mask2former, "pixel"),
}


class _Union(nn.Module):
    def __init__(self, parts: list[nn.Module]):
        super().__init__()
        self.parts = nn.ModuleList(parts)

    def forward(self, pixel_values: torch.Tensor) -> dict[str, torch.Tensor]:
        features: dict[str, torch.Tensor] = {}
        for part in self.parts:
            features.update(part(pixel_values))
        return features


def load_expert(specs: str | Iterable[str]) -> FrozenModuleExpert:
    """``"sam2:PATH"``, ``"mask2former:PATH"``, or a list of them: the frozen expert."""
    parts = []
    for spec in [specs] if isinstance(specs, str) else list(specs):
        kind, _, path = spec.partition(":")
        if kind not in EXPERTS or not path:
            raise PerBenchError(
                f"unknown expert spec {spec!r}", hint="use sam2:PATH or mask2former:PATH"
            )
        if not (Path(path) / "config.json").is_file():
            raise DependencyError(
                f"no {kind} checkpoint here (config.json missing)",
                where=path,
                hint="pass a local folder saved with save_pretrained",
            )
        parts.append(EXPERTS[kind][0](path))
    return FrozenModuleExpert(parts[0] if len(parts) == 1 else _Union(parts))
