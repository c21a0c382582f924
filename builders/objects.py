"""Per-object facts from visible pixels: area, box, centroid, truncation, colours, size, place,
shape.

API:
  ObjectFacts                   one instance's derived attributes (JSON-ready via ``to_meta()``)
  object_facts(image, rgb, color_share=0.6, min_color_pixels=400)
                                -> list[ObjectFacts], one per instance, in instance order
  size_word(fraction), position_name(column, row), noun(facts), ring(position)

image: a SourceImage; rgb: (H, W, 3) uint8. Boxes are ``(x0, y0, x1, y1)`` in pixels with
x1, y1 exclusive; the centroid is the mean pixel position. ``truncation`` is the length of the
mask's contact with the image frame over its box perimeter (0 = inside, ~0.5 = cut on 2 sides).
Position is the cell of a 3x3 grid holding the centroid; ``position_margin`` is the centroid's
distance to the nearest grid line as a fraction of the image side (small = borderline).
``crop``: (y1 - y0, x1 - x0) bool, the mask inside its box. Colours (``colors``, ``named_colors``)
are what builders.visible_colors allows: a person's are those of their clothes; a thin, too
dark, too bright or too small region, or one where no colour dominates, gets no name, and
``color_unjudged`` says why.
``elongation`` is the ratio of the principal axes' lengths (second moments); ``orientation``
(horizontal / vertical / diagonal) is set only when it is >= 2, the axis is clear, and the mask
fills ``SOLID`` of its box along its axes (one solid bar, not an L).
``outline`` ((N, 2) int x, y boundary pixels) and ``outline_tree`` (a k-d tree over them) are
computed once per object, on first use (builders.relations.mask_gap).
``cut_sides``: the image borders the mask touches. ``occluded_fraction`` comes from the source
(known only where it has whole shapes, e.g. arc2017), else None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from scipy.ndimage import binary_erosion
from scipy.spatial import KDTree

from builders.visible_colors import RegionColors, photo_exposure, region_colors
from perbench.masks import decode
from perbench.sources import Instance, SourceImage

SIZE_WORDS = (
    (0.005, "tiny"),
    (0.03, "small"),
    (0.12, "medium-sized"),
    (0.35, "large"),
    (1.01, "very large"),
)
ROWS = ("top", "middle", "bottom")
COLUMNS = ("left", "center", "right")


def position_name(column: int, row: int) -> str:
    """``top left``, ``top``, ``center``, ``bottom right``..."""
    vertical, horizontal = ROWS[row], COLUMNS[column]
    if vertical == "middle":
        return "center" if horizontal == "center" else horizontal
    return vertical if horizontal == "center" else f"{vertical} {horizontal}"


POSITIONS = [position_name(c, r) for r in range(3) for c in range(3)]


RINGS = (("center",), ("top", "left", "right", "bottom"))
ELONGATED = 2.0
SOLID = 0.7  # an orientation is named only when the mask fills its rotated box this much


def ring(position: str) -> int:
    """0 for the center cell, 1 for the four edge cells, 2 for the four corners."""
    return next((i for i, cells in enumerate(RINGS) if position in cells), 2)


def size_word(fraction: float) -> str:
    """A size word for an object covering ``fraction`` of the image."""
    return next(word for limit, word in SIZE_WORDS if fraction < limit)


@dataclass
class ObjectFacts:
    """Derived attributes of one instance (index = its position in ``SourceImage.instances``)."""

    index: int
    instance: Instance
    area: int
    area_fraction: float
    box: tuple[int, int, int, int]
    centroid: tuple[float, float]
    truncation: float
    position: str
    position_margin: float
    colors: list[tuple[str, float]] = field(default_factory=list)
    named_colors: list[str] = field(default_factory=list)
    crop: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool), repr=False)
    elongation: float = 1.0
    orientation: str | None = None
    cut_sides: list[str] = field(default_factory=list)
    occluded_fraction: float | None = None
    color_unjudged: str | None = None

    @property
    def category(self) -> str | None:
        return self.instance.category

    @property
    def size(self) -> str:
        return size_word(self.area_fraction)

    @cached_property
    def outline(self) -> np.ndarray:
        """(N, 2) int x, y image coordinates of the mask's boundary pixels (computed once)."""
        edge = self.crop & ~binary_erosion(self.crop)
        ys, xs = np.nonzero(edge)
        return np.stack([xs + self.box[0], ys + self.box[1]], axis=1)

    @cached_property
    def outline_tree(self) -> KDTree:
        """A k-d tree over ``outline`` for nearest-pixel look-ups (built once)."""
        return KDTree(self.outline)

    def to_meta(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "area_fraction": round(self.area_fraction, 5),
            "size": self.size,
            "box_xyxy": list(self.box),
            "centroid": [round(v, 2) for v in self.centroid],
            "position": self.position,
            "truncation": round(self.truncation, 3),
            "colors": [[name, fraction] for name, fraction in self.colors[:3]],
            "named_colors": list(self.named_colors),
            "elongation": round(self.elongation, 2),
            "orientation": self.orientation,
            "cut_sides": list(self.cut_sides),
            "occluded_fraction": self.occluded_fraction,
            "color_unjudged": self.color_unjudged,
        }


def noun(facts: ObjectFacts) -> str:
    """The category name, or ``object`` for category-free sources (SA-1B)."""
    return facts.category or "object"


def _shape(ys: np.ndarray, xs: np.ndarray) -> tuple[float, str | None]:
    """Elongation (principal axes ratio) and, when elongated, the major axis' orientation."""
    if len(xs) < 3:
        return 1.0, None
    points = np.stack([xs, ys]).astype(float)
    values, vectors = np.linalg.eigh(np.cov(points))
    minor, major = np.sqrt(np.maximum(values, 1e-9))
    elongation = float(major / max(minor, 1e-6))
    along = vectors.T @ (points - points.mean(axis=1, keepdims=True))  # (2, N): minor, major
    extent = float(np.prod(np.ptp(along, axis=1) + 1.0))
    if elongation < ELONGATED or len(xs) < SOLID * extent:
        return elongation, None  # not elongated, or not one solid bar (an L, a ring...)
    angle = abs(float(np.degrees(np.arctan2(vectors[1, 1], vectors[0, 1])))) % 180
    angle = min(angle, 180 - angle)
    orientation = "horizontal" if angle < 20 else "vertical" if angle > 70 else "diagonal"
    if 35 <= angle <= 55 or angle < 20 or angle > 70:
        return elongation, orientation
    return elongation, None  # between a clear diagonal and a clear axis: say nothing


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """The tight ``(x0, y0, x1, y1)`` box of mask (H, W) bool; zeros when it is empty."""
    rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        return (0, 0, 0, 0)
    return (int(columns[0]), int(rows[0]), int(columns[-1]) + 1, int(rows[-1]) + 1)


def object_facts(
    image: SourceImage, rgb: np.ndarray, color_share: float = 0.6, min_color_pixels: int = 400
) -> list[ObjectFacts]:
    """Facts of every instance of ``image``; rgb: (H, W, 3) uint8 of the same size."""
    height, width = image.height, image.width
    exposure = photo_exposure(rgb)
    facts = []
    for index, instance in enumerate(image.instances):
        mask = decode(instance.mask).astype(bool)
        box = _box(mask)
        crop = mask[box[1] : box[3], box[0] : box[2]]
        w, h = box[2] - box[0], box[3] - box[1]
        ys, xs = np.nonzero(crop)
        ys, xs = ys + box[1], xs + box[0]  # image coordinates, in row-major order
        pixels = len(xs)
        if pixels:
            centroid = (float(xs.mean()) + 0.5, float(ys.mean()) + 0.5)
            elongation, orientation = _shape(ys, xs)
            person = instance.category == "person"
            judged = region_colors(rgb, crop, box, person, exposure, color_share, min_color_pixels)
        else:
            centroid = (width / 2, height / 2)
            elongation, orientation, judged = 1.0, None, RegionColors(unjudged="too small")
        borders = {
            "top": mask[0].sum(),
            "bottom": mask[-1].sum(),
            "left": mask[:, 0].sum(),
            "right": mask[:, -1].sum(),
        }
        contact = int(sum(borders.values()))
        perimeter = max(2 * (w + h), 1.0)
        fx, fy = centroid[0] / width, centroid[1] / height
        column, row = min(int(fx * 3), 2), min(int(fy * 3), 2)
        margin = min(abs(fx - line) for line in (1 / 3, 2 / 3))
        margin = min(margin, min(abs(fy - line) for line in (1 / 3, 2 / 3)))
        occluded = instance.extra.get("occluded_fraction")
        facts.append(
            ObjectFacts(
                index=index,
                instance=instance,
                area=pixels,
                area_fraction=pixels / float(width * height),
                box=box,
                centroid=centroid,
                truncation=contact / perimeter,
                position=position_name(column, row),
                position_margin=margin,
                colors=judged.colors,
                named_colors=judged.named,
                color_unjudged=judged.unjudged,
                crop=crop.copy(),
                elongation=elongation,
                orientation=orientation,
                cut_sides=[side for side, n in borders.items() if n > 0],
                occluded_fraction=None if occluded is None else float(occluded),
            )
        )
    return facts
