"""Per-object facts from pixels and geometry: area, box, centroid, truncation, colours, size, place.

API:
  ObjectFacts                   one instance's derived attributes (JSON-ready via ``to_meta()``)
  object_facts(image, rgb)      -> list[ObjectFacts], one per instance, in instance order
  size_word(fraction), position_name(column, row), noun(facts)

image: a SourceImage; rgb: (H, W, 3) uint8. Boxes are ``(x0, y0, x1, y1)`` in pixels with
x1, y1 exclusive; the centroid is the mean pixel position. ``truncation`` is the length of the
mask's contact with the image frame over its box perimeter (0 = inside, ~0.5 = cut on 2 sides).
Position is the cell of a 3x3 grid holding the centroid; ``position_margin`` is the centroid's
distance to the nearest grid line as a fraction of the image side (small = borderline).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from builders.colors import name_colors
from perbench.masks import area, bbox, decode
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

    @property
    def category(self) -> str | None:
        return self.instance.category

    @property
    def size(self) -> str:
        return size_word(self.area_fraction)

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
        }


def noun(facts: ObjectFacts) -> str:
    """The category name, or ``object`` for category-free sources (SA-1B)."""
    return facts.category or "object"


def object_facts(image: SourceImage, rgb: np.ndarray) -> list[ObjectFacts]:
    """Facts of every instance of ``image``; rgb: (H, W, 3) uint8 of the same size."""
    height, width = image.height, image.width
    facts = []
    for index, instance in enumerate(image.instances):
        mask = decode(instance.mask).astype(bool)
        pixels = int(area(instance.mask))
        x, y, w, h = bbox(instance.mask)
        box = (int(x), int(y), int(x + w), int(y + h))
        if pixels:
            ys, xs = np.nonzero(mask)
            centroid = (float(xs.mean()) + 0.5, float(ys.mean()) + 0.5)
        else:
            centroid = (width / 2, height / 2)
        contact = int(mask[0].sum() + mask[-1].sum() + mask[:, 0].sum() + mask[:, -1].sum())
        perimeter = max(2 * (w + h), 1.0)
        fx, fy = centroid[0] / width, centroid[1] / height
        column, row = min(int(fx * 3), 2), min(int(fy * 3), 2)
        margin = min(abs(fx - line) for line in (1 / 3, 2 / 3))
        margin = min(margin, min(abs(fy - line) for line in (1 / 3, 2 / 3)))
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
                colors=name_colors(rgb[mask]) if pixels else [],
            )
        )
    return facts
