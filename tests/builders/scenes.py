"""Generated scenes whose truth is known exactly: rectangles in named colours, some adjacent, some
overlapping (the later one hides part of the earlier), every instance annotated.

API:
  TruthObject         one object: category, its visible mask (H, W) bool, colour shares of its
                      visible pixels, hidden fraction, its whole rectangle (H, W) bool, and
                      ``covered_by``: the objects (indices) covering a quarter or more of its
                      hidden part, most first (given to the builder as the source's
                      ``occluded_by``, as arc2017's label map gives it)
  TruthScene          objects + image; ``truth_*`` helpers below read only this
  make_scene(rng, key) -> TruthScene
  TruthReader(scenes, exhaustive=True)   a SourceReader over the scenes (PNG, lossless)

Truth definitions (what a careful annotator accepts; written here, not shared with builders):
  left_of(a, b)   a's centroid left of b's and the x-spans overlap by under half the smaller width
  touching(a, b)  a pixel of a lies within 2 px (chessboard) of a pixel of b
  between(c, a, b)  c's centroid strictly between a's and b's in x, and within both y-spans
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image

from builders.colors import COLOR_NAMES
from perbench.masks import encode
from perbench.sources import Instance, SourceImage, SourceReader

WIDTH, HEIGHT = 240, 180
CATEGORIES = [("cup", "kitchen"), ("bowl", "kitchen"), ("book", "office"), ("box", "office")]
CATEGORIES += [("ball", "toy"), ("kite", "toy")]
PAINTS = ["red", "green", "blue", "yellow", "white", "black", "purple", "orange"]
BACKGROUND = (128, 128, 128)


@dataclass
class TruthObject:
    category: str
    supercategory: str
    visible: np.ndarray
    shares: dict[str, float]
    hidden: float
    whole: np.ndarray
    covered_by: list[int]

    def box(self) -> tuple[int, int, int, int]:
        ys, xs = np.nonzero(self.visible)
        return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1

    def centroid(self) -> tuple[float, float]:
        ys, xs = np.nonzero(self.visible)
        return float(xs.mean()) + 0.5, float(ys.mean()) + 0.5


@dataclass
class TruthScene:
    key: str
    objects: list[TruthObject]
    png: bytes


def make_scene(rng: np.random.Generator, key: str) -> TruthScene:
    rgb = np.zeros((HEIGHT, WIDTH, 3), dtype=np.int16) + np.array(BACKGROUND)
    owner = np.full((HEIGHT, WIDTH), -1)
    paint = np.full((HEIGHT, WIDTH), -1)
    rects, kinds = [], []
    for index in range(int(rng.integers(4, 8))):
        w, h = int(rng.integers(18, 80)), int(rng.integers(18, 80))
        if index and rng.random() < 0.3:  # put it against an earlier one: contact
            x0, y0, x1, y1 = rects[int(rng.integers(len(rects)))]
            x = x1 if rng.random() < 0.5 else x0 - w
            y = int(rng.integers(y0 - h // 2, y1 - h // 2 + 1))
        else:
            x, y = int(rng.integers(-10, WIDTH - w + 10)), int(rng.integers(-10, HEIGHT - h + 10))
        x, y = max(0, min(x, WIDTH - w)), max(0, min(y, HEIGHT - h))
        colors = [PAINTS[int(i)] for i in rng.choice(len(PAINTS), 2, replace=False)]
        two = rng.random() < 0.3
        for row in range(y, y + h):
            color = colors[1] if two and row >= y + h // 2 else colors[0]
            noise = rng.integers(-10, 11, size=(w, 3))
            rgb[row, x : x + w] = np.array(COLOR_NAMES[color]) + noise
            paint[row, x : x + w] = PAINTS.index(color)
        owner[y : y + h, x : x + w] = index
        rects.append((x, y, x + w, y + h))
        kinds.append(CATEGORIES[int(rng.integers(len(CATEGORIES)))])
    objects, position = [], {}
    for index, ((x0, y0, x1, y1), (category, sup)) in enumerate(zip(rects, kinds, strict=True)):
        visible = owner == index
        if not visible.any():
            continue
        names, counts = np.unique(paint[visible], return_counts=True)
        shares = {PAINTS[n]: c / visible.sum() for n, c in zip(names, counts, strict=True)}
        whole = np.zeros_like(visible)
        whole[y0:y1, x0:x1] = True
        hidden = 1 - visible.sum() / whole.sum()
        position[index] = len(objects)
        objects.append(TruthObject(category, sup, visible, shares, float(hidden), whole, []))
    for o in objects:
        covering, counts = np.unique(owner[o.whole & ~o.visible], return_counts=True)
        ranked = sorted(zip(counts.tolist(), covering.tolist(), strict=True), reverse=True)
        quarter = 0.25 * (o.whole & ~o.visible).sum()
        o.covered_by = [position[i] for n, i in ranked if i in position and n >= quarter]
    buffer = io.BytesIO()
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(buffer, format="PNG")
    return TruthScene(key, objects, buffer.getvalue())


class TruthReader(SourceReader):
    """The scenes as a source; ``exhaustive`` is the source's completeness declaration."""

    name = "truth"

    def __init__(self, scenes: list[TruthScene], exhaustive: bool = True):
        self.scenes, self.exhaustive = scenes, exhaustive

    def shards(self) -> list[str]:
        return ["all"]

    def categories(self) -> list[tuple[str, str | None]]:
        return list(CATEGORIES)

    def read_shard(self, shard: str) -> Iterator[SourceImage]:
        for scene in self.scenes:
            instances = [
                Instance(
                    f"{scene.key}-{i}",
                    encode(o.visible.astype(np.uint8)),
                    o.category,
                    o.supercategory,
                    extra={
                        "occluded_fraction": round(o.hidden, 3),
                        "occluded_by": [f"{scene.key}-{j}" for j in o.covered_by],
                    },
                )
                for i, o in enumerate(scene.objects)
            ]
            yield SourceImage(
                scene.key,
                f"{scene.key}.png",
                WIDTH,
                HEIGHT,
                instances,
                lambda png=scene.png: png,
                "truth",
                "generated",
                exhaustive=self.exhaustive,
            )


def truth_left_of(a: TruthObject, b: TruthObject) -> bool:
    (ax0, _, ax1, _), (bx0, _, bx1, _) = a.box(), b.box()
    overlap = min(ax1, bx1) - max(ax0, bx0)
    return a.centroid()[0] < b.centroid()[0] and overlap < 0.5 * min(ax1 - ax0, bx1 - bx0)


def truth_above(a: TruthObject, b: TruthObject) -> bool:
    (_, ay0, _, ay1), (_, by0, _, by1) = a.box(), b.box()
    overlap = min(ay1, by1) - max(ay0, by0)
    return a.centroid()[1] < b.centroid()[1] and overlap < 0.5 * min(ay1 - ay0, by1 - by0)


def truth_direction(a: TruthObject, b: TruthObject, name: str) -> bool:
    return {
        "left_of": lambda: truth_left_of(a, b),
        "right_of": lambda: truth_left_of(b, a),
        "above": lambda: truth_above(a, b),
        "below": lambda: truth_above(b, a),
    }[name]()


def _grow(mask: np.ndarray, radius: int) -> np.ndarray:
    padded = np.pad(mask, radius)
    grown = np.zeros_like(mask)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            grown |= padded[dy : dy + mask.shape[0], dx : dx + mask.shape[1]]
    return grown


def truth_touching(a: TruthObject, b: TruthObject) -> bool:
    return bool((_grow(b.visible, 2) & a.visible).any())


def truth_between(c: TruthObject, a: TruthObject, b: TruthObject) -> bool:
    low, high = sorted((a.centroid()[0], b.centroid()[0]))
    y = c.centroid()[1]
    spans = all(o.box()[1] <= y <= o.box()[3] for o in (a, b))
    return low < c.centroid()[0] < high and spans


def truth_gap(a: TruthObject, b: TruthObject) -> float:
    """The smallest distance between the two masks' pixels (their outlines suffice)."""
    points = []
    for o in (a, b):
        inner = ~_grow(~o.visible, 1)
        ys, xs = np.nonzero(o.visible & ~inner)
        points.append(np.stack([xs, ys], 1).astype(float))
    pa, pb = points
    return float(np.sqrt(((pa[:, None, :] - pb[None, :, :]) ** 2).sum(2)).min())


def truth_cell(o: TruthObject) -> str:
    x, y = o.centroid()
    column, row = min(int(3 * x / WIDTH), 2), min(int(3 * y / HEIGHT), 2)
    vertical, horizontal = ("top", "middle", "bottom")[row], ("left", "center", "right")[column]
    if vertical == "middle":
        return "center" if horizontal == "center" else f"middle {horizontal}"
    return f"{vertical} center" if horizontal == "center" else f"{vertical} {horizontal}"
