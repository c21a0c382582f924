"""Generated scenes whose truth is known exactly: rectangles in named colours, some adjacent, some
overlapping (the later one hides part of the earlier), some NOT annotated, some cut in two by a
thin pole and annotated as two pieces, some drawn dark or over-exposed.

API:
  TruthObject         one drawn object: category, its visible mask (H, W) bool, colour shares of
                      its paint (its real colour, whatever the exposure), hidden fraction, its
                      whole rectangle (H, W) bool, ``covered_by`` (the objects, indices, covering a
                      quarter or more of its hidden part, most first), ``exposure`` (normal, dark,
                      bright) and ``pieces``: its annotations, (instance id, mask) pairs; none
                      when it is not annotated, two or more when a pole cuts it in two
  TruthScene          objects + image; ``truth_*`` helpers below read only this
    .annotated(id) -> (TruthObject, piece mask)   the drawn object an instance id belongs to
    .incomplete()  -> set[str]    categories with a drawn object that has no annotation
  make_scene(rng, key, unannotated_rate=0.35, split_rate=0.5, exposure_rate=0.25) -> TruthScene
  TruthReader(scenes, name="truth", lists_incomplete=True)  a SourceReader over the scenes (PNG,
                      lossless). It declares nothing (``SourceImage.exhaustive`` False); like
                      LVIS it lists, per image, the categories with unannotated objects
                      (``not_exhaustive_categories``), so a build that declares the source
                      exhaustive is true for every other category. ``lists_incomplete=False``
                      hides them and leaves ``exhaustive`` at its default: a COCO-format file
                      (benchmarks/vtres_truth.py: builders before 3.0 took it as exhaustive)

Truth definitions (what a careful annotator accepts; written here, not shared with builders),
always on the DRAWN objects (a split object is one object; its visible mask is its pieces'):
  left_of(a, b)   a's centroid left of b's and the x-spans overlap by under half the smaller width
  touching(a, b)  a pixel of a lies within 2 px (chessboard) of a pixel of b
  between(c, a, b)  c's centroid strictly between a's and b's in x, and within both y-spans
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from scipy.ndimage import label

from builders.colors import COLOR_NAMES
from perbench.masks import encode
from perbench.sources import Instance, SourceImage, SourceReader

WIDTH, HEIGHT = 240, 180
CATEGORIES = [("cup", "kitchen"), ("bowl", "kitchen"), ("book", "office"), ("box", "office")]
CATEGORIES += [("ball", "toy"), ("kite", "toy")]
PAINTS = ["red", "green", "blue", "yellow", "white", "black", "purple", "orange"]
BACKGROUND = (128, 128, 128)
POLE, POLE_WIDTH = (60, 45, 30), 3  # a thin occluder in front of everything; never annotated
MIN_PIECE = 40  # pixels: a smaller remnant of a cut object is not annotated as a piece


@dataclass(eq=False)  # compared by identity: one drawn object is one object
class TruthObject:
    category: str
    supercategory: str
    visible: np.ndarray
    shares: dict[str, float]
    hidden: float
    whole: np.ndarray
    covered_by: list[int]
    exposure: str = "normal"
    pieces: list[tuple[str, np.ndarray]] = field(default_factory=list)

    @property
    def annotated(self) -> bool:
        return bool(self.pieces)

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

    def annotated(self, instance_id: str) -> tuple[TruthObject, np.ndarray]:
        """The drawn object an annotation belongs to, and the annotation's own mask."""
        for obj in self.objects:
            for piece_id, mask in obj.pieces:
                if piece_id == instance_id:
                    return obj, mask
        raise KeyError(instance_id)

    def incomplete(self) -> set[str]:
        return {o.category for o in self.objects if not o.annotated}


def _expose(color: str, exposure: str) -> np.ndarray:
    """The drawn sRGB of a paint: as is, in deep shadow, or washed out by over-exposure."""
    base = np.array(COLOR_NAMES[color], dtype=float)
    if exposure == "dark":
        return base * 0.2
    if exposure == "bright":
        return 255 - (255 - base) * 0.12
    return base


def _cut_with_pole(
    rng: np.random.Generator, rgb: np.ndarray, owner: np.ndarray, index: int
) -> bool:
    """Draw a thin vertical pole across object ``index``'s visible part; False if it cannot."""
    ys, xs = np.nonzero(owner == index)
    if not len(xs) or xs.max() - xs.min() < 24:
        return False
    x = int(rng.integers(xs.min() + 10, xs.max() - 10 - POLE_WIDTH + 1))
    y0, y1 = max(int(ys.min()) - 2, 0), min(int(ys.max()) + 3, HEIGHT)
    rgb[y0:y1, x : x + POLE_WIDTH] = POLE
    owner[y0:y1, x : x + POLE_WIDTH] = -2
    return True


def make_scene(
    rng: np.random.Generator,
    key: str,
    unannotated_rate: float = 0.35,
    split_rate: float = 0.5,
    exposure_rate: float = 0.25,
) -> TruthScene:
    rgb = np.zeros((HEIGHT, WIDTH, 3), dtype=np.int16) + np.array(BACKGROUND)
    owner = np.full((HEIGHT, WIDTH), -1)
    paint = np.full((HEIGHT, WIDTH), -1)
    rects, kinds, exposures = [], [], []
    for index in range(int(rng.integers(5, 10))):
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
        draw = rng.random()
        exposure = "dark" if draw < exposure_rate / 2 else "normal"
        exposure = "bright" if exposure_rate / 2 <= draw < exposure_rate else exposure
        for row in range(y, y + h):
            color = colors[1] if two and row >= y + h // 2 else colors[0]
            noise = rng.integers(-10, 11, size=(w, 3))
            rgb[row, x : x + w] = _expose(color, exposure) + noise
            paint[row, x : x + w] = PAINTS.index(color)
        owner[y : y + h, x : x + w] = index
        rects.append((x, y, x + w, y + h))
        kinds.append(CATEGORIES[int(rng.integers(len(CATEGORIES)))])
        exposures.append(exposure)
    annotated = [rng.random() >= unannotated_rate for _ in rects]
    split = -1
    if rng.random() < split_rate:
        choices = [i for i, a in enumerate(annotated) if a]
        if choices:
            split = int(rng.choice(choices))
            split = split if _cut_with_pole(rng, rgb, owner, split) else -1
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
        number = len(objects)
        position[index] = number
        pieces = [(f"{key}-{number}", visible)] if annotated[index] else []
        if index == split:
            parts, count = label(visible)
            cut = [parts == n for n in range(1, count + 1) if (parts == n).sum() >= MIN_PIECE]
            if len(cut) >= 2:
                pieces = [(f"{key}-{number}-{p}", mask) for p, mask in enumerate(cut)]
        objects.append(
            TruthObject(
                category, sup, visible, shares, float(hidden), whole, [], exposures[index], pieces
            )
        )
    for o in objects:
        covering, counts = np.unique(owner[o.whole & ~o.visible], return_counts=True)
        ranked = sorted(zip(counts.tolist(), covering.tolist(), strict=True), reverse=True)
        quarter = 0.25 * (o.whole & ~o.visible).sum()
        o.covered_by = [position[i] for n, i in ranked if i in position and n >= quarter]
    buffer = io.BytesIO()
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(buffer, format="PNG")
    return TruthScene(key, objects, buffer.getvalue())


class TruthReader(SourceReader):
    """The scenes as a source (module doc): no completeness declaration of its own."""

    def __init__(self, scenes: list[TruthScene], name: str = "truth", lists_incomplete=True):
        self.scenes, self.name, self.lists_incomplete = scenes, name, lists_incomplete

    def shards(self) -> list[str]:
        return ["all"]

    def categories(self) -> list[tuple[str, str | None]]:
        return list(CATEGORIES)

    def read_shard(self, shard: str) -> Iterator[SourceImage]:
        for scene in self.scenes:
            instances = []
            for o in scene.objects:
                covering = [
                    piece_id for j in o.covered_by for piece_id, _ in scene.objects[j].pieces
                ]
                for piece_id, mask in o.pieces:
                    extra = {"occluded_fraction": round(o.hidden, 3), "occluded_by": covering}
                    instances.append(
                        Instance(
                            piece_id,
                            encode(mask.astype(np.uint8)),
                            o.category,
                            o.supercategory,
                            extra=extra,
                        )
                    )
            listed = {"not_exhaustive_categories": sorted(scene.incomplete())}
            declared = {"extra": listed, "exhaustive": False} if self.lists_incomplete else {}
            yield SourceImage(
                scene.key,
                f"{scene.key}.png",
                WIDTH,
                HEIGHT,
                instances,
                lambda png=scene.png: png,
                self.name,
                "generated",
                **declared,
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
