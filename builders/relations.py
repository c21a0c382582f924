"""Relations between instances, each a three-valued test: True, False, or None (too close to call).

API:
  PAIR_RELATIONS          name -> test(candidate, prompt, margin) for one prompt region
  between(candidate, first, second, margin)       horizontally between two prompt regions
  nearest(candidates, prompt, ratio)              the one candidate nearest to the prompt, or None
  overlap_fraction(a, b)  box intersection over the smaller box
  clear_direction(a, b, margin)   the one of left/right/above/below that holds, or None

Definitions (all on ObjectFacts; margin in pixels, ~2% of the image's longer side):
  left_of(c, p)      c's centroid x  < p's box x0 - margin   (False if > x0 + margin)
  right_of(c, p)     c's centroid x  > p's box x1 + margin   (False if < x1 - margin)
  above(c, p)        c's centroid y  < p's box y0 - margin   (False if > y0 + margin)
  below(c, p)        c's centroid y  > p's box y1 + margin   (False if < y1 - margin)
  overlapping(c, p)  overlap_fraction >= 0.25                (False if <= 0.05)
  between(c, p, q)   c's centroid x strictly inside the x-span of p's and q's centroids, by margin
  nearest            smallest centroid distance, kept only if the runner-up is ``ratio`` x farther
A referring text is kept only when no instance of the named category gets None (see vtres).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from builders.objects import ObjectFacts

OVERLAP_YES, OVERLAP_NO = 0.25, 0.05


def _threshold(value: float, limit: float, margin: float) -> bool | None:
    """True if value < limit - margin, False if value > limit + margin, else None."""
    if value < limit - margin:
        return True
    if value > limit + margin:
        return False
    return None


def left_of(c: ObjectFacts, p: ObjectFacts, margin: float) -> bool | None:
    return _threshold(c.centroid[0], p.box[0], margin)


def right_of(c: ObjectFacts, p: ObjectFacts, margin: float) -> bool | None:
    return _threshold(-c.centroid[0], -p.box[2], margin)


def above(c: ObjectFacts, p: ObjectFacts, margin: float) -> bool | None:
    return _threshold(c.centroid[1], p.box[1], margin)


def below(c: ObjectFacts, p: ObjectFacts, margin: float) -> bool | None:
    return _threshold(-c.centroid[1], -p.box[3], margin)


def overlap_fraction(a: ObjectFacts, b: ObjectFacts) -> float:
    """Area of the two boxes' intersection over the smaller box's area."""
    width = min(a.box[2], b.box[2]) - max(a.box[0], b.box[0])
    height = min(a.box[3], b.box[3]) - max(a.box[1], b.box[1])
    smaller = min(
        (a.box[2] - a.box[0]) * (a.box[3] - a.box[1]), (b.box[2] - b.box[0]) * (b.box[3] - b.box[1])
    )
    if width <= 0 or height <= 0 or smaller <= 0:
        return 0.0
    return width * height / smaller


def overlapping(c: ObjectFacts, p: ObjectFacts, margin: float) -> bool | None:
    fraction = overlap_fraction(c, p)
    if fraction >= OVERLAP_YES:
        return True
    if fraction <= OVERLAP_NO:
        return False
    return None


PAIR_RELATIONS: dict[str, Callable[[ObjectFacts, ObjectFacts, float], bool | None]] = {
    "left_of": left_of,
    "right_of": right_of,
    "above": above,
    "below": below,
    "overlapping": overlapping,
}
DIRECTIONS = ("left_of", "right_of", "above", "below")


def between(c: ObjectFacts, first: ObjectFacts, second: ObjectFacts, margin: float) -> bool | None:
    """Is c's centroid x inside the x-span of the two prompts' centroids (with margin)?"""
    low, high = sorted((first.centroid[0], second.centroid[0]))
    x = c.centroid[0]
    if low + margin < x < high - margin:
        return True
    if x < low - margin or x > high + margin:
        return False
    return None


def distance(a: ObjectFacts, b: ObjectFacts) -> float:
    return math.dist(a.centroid, b.centroid)


def nearest(candidates: list[ObjectFacts], prompt: ObjectFacts, ratio: float) -> ObjectFacts | None:
    """The candidate nearest to ``prompt`` if the runner-up is at least ``ratio`` times farther."""
    ranked = sorted(candidates, key=lambda c: distance(c, prompt))
    if not ranked:
        return None
    if len(ranked) > 1 and distance(ranked[1], prompt) < ratio * distance(ranked[0], prompt):
        return None
    return ranked[0]


def clear_direction(a: ObjectFacts, b: ObjectFacts, margin: float) -> str | None:
    """The one direction of ``a`` relative to ``b`` that holds, when none is borderline."""
    values = {name: PAIR_RELATIONS[name](a, b, margin) for name in DIRECTIONS}
    if any(v is None for v in values.values()):
        return None
    holding = [name for name, v in values.items() if v]
    return holding[0] if len(holding) == 1 else None
