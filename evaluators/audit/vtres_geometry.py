"""The audit's own reading of V-T RES relations, recomputed on the masks.

Written apart from the builders' relation code on purpose: a second, pixel-based definition
that disagrees with the drafted text points at a sample a reviewer should look at.

API:
  Instance                      one annotated instance (index, id, category, crowd, mask)
  image_instances(sample) -> list[Instance] | None   from ``meta["image_instances"]``
  matches(rle, instances) -> Instance | None         the instance a mask is (IoU >= 0.5)
  verdict(relation, candidate, prompts) -> float     how far the candidate satisfies it, 0..1
  nearest_gaps(candidates, prompt) -> list[float]    pixel gap of each candidate to the prompt
  YES, NO                       score >= YES satisfies, <= NO does not, between is borderline

Scores (masks as (H, W) bool arrays; "share" = fraction of the candidate's pixels):
  left_of / right_of   share left of the prompt's leftmost / right of its rightmost pixel column
  above / below        share above the prompt's top / below its bottom pixel row
  overlapping          the larger of: share inside the prompt's box, prompt's share inside the
                       candidate's box; scaled so 0.3 -> 1 (box contact counts, not pixels)
  between              share strictly between the two prompts' median columns
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from perbench.masks import RLE, decode, iou
from perbench.schema import Sample

YES, NO = 0.6, 0.4
SAME_INSTANCE_IOU = 0.5
OVERLAP_FULL = 0.3


@dataclass
class Instance:
    index: int
    id: str
    category: str | None
    crowd: bool
    exhaustive: bool
    rle: RLE
    _pixels: np.ndarray | None = None

    @property
    def pixels(self) -> np.ndarray:
        """(H, W) bool, decoded once."""
        if self._pixels is None:
            self._pixels = decode(self.rle).astype(bool)
        return self._pixels


def image_instances(sample: Sample) -> list[Instance] | None:
    raw: Any = sample.meta.get("image_instances")
    if not isinstance(raw, list):
        return None
    return [
        Instance(
            index,
            str(entry.get("id")),
            entry.get("category"),
            bool(entry.get("crowd", False)),
            bool(entry.get("exhaustive", True)),
            entry["mask"],
        )
        for index, entry in enumerate(raw)
        if isinstance(entry, dict) and isinstance(entry.get("mask"), dict)
    ]


def matches(rle: RLE, instances: list[Instance]) -> Instance | None:
    best, best_iou = None, SAME_INSTANCE_IOU
    for instance in instances:
        value = iou(rle, instance.rle, empty_iou=0.0)
        if value >= best_iou:
            best, best_iou = instance, value
    return best


def _share(mask: np.ndarray, condition: np.ndarray) -> float:
    total = int(mask.sum())
    return float((mask & condition).sum()) / total if total else 0.0


def _extent(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    if not len(xs):
        return 0, 0, -1, -1
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def _box_share(mask: np.ndarray, box: tuple[int, int, int, int]) -> float:
    x0, y0, x1, y1 = box
    inside = np.zeros_like(mask)
    inside[y0 : y1 + 1, x0 : x1 + 1] = True
    return _share(mask, inside)


def verdict(relation: str, candidate: np.ndarray, prompts: list[np.ndarray]) -> float | None:
    """A score in [0, 1] (>= YES satisfies, <= NO does not); None for relations not read here."""
    height, width = candidate.shape
    columns = np.broadcast_to(np.arange(width)[None, :], (height, width))
    rows = np.broadcast_to(np.arange(height)[:, None], (height, width))
    prompt = prompts[0]
    x0, y0, x1, y1 = _extent(prompt)
    if relation == "left_of":
        return _share(candidate, columns < x0)
    if relation == "right_of":
        return _share(candidate, columns > x1)
    if relation == "above":
        return _share(candidate, rows < y0)
    if relation == "below":
        return _share(candidate, rows > y1)
    if relation == "overlapping":
        inside = _box_share(candidate, (x0, y0, x1, y1))
        around = _box_share(prompt, _extent(candidate))
        return min(1.0, max(inside, around) / OVERLAP_FULL)
    if relation == "between" and len(prompts) == 2:
        left, right = sorted(float(np.median(np.nonzero(p)[1])) for p in prompts)
        return _share(candidate, (columns > left) & (columns < right))
    return None


def nearest_gaps(candidates: list[np.ndarray], prompt: np.ndarray) -> list[float]:
    """The smallest pixel distance from each candidate to the prompt's mask."""
    from scipy.ndimage import distance_transform_edt

    distance = distance_transform_edt(~prompt)
    return [float(distance[c].min()) if c.any() else float("inf") for c in candidates]
