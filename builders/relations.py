"""Relations between instances from their visible masks, each a three-valued test: True, False,
or None (too close to call).

API:
  PAIR_RELATIONS          name -> test(candidate, prompt, margin) for one prompt region
  DIRECTIONS              the four image directions (the viewer's left and right)
  between(candidate, first, second, margin)       between two prompt regions, in x and in height
  nearest(candidates, prompt, ratio, margin)      the one candidate nearest to the prompt, or None
  pixels_near(a, b, radii)    per radius, how many of a's pixels lie within it of b's pixels
  mask_gap(a, b)          the smallest distance in pixels between the two masks (0 = touching)
  box_gap(a, b)           a lower bound of mask_gap from the boxes alone
  clear_direction(a, b)   the one of left/right/above/below that holds, or None

Definitions (all on ObjectFacts; ``margin`` in pixels, ~2% of the image's longer side). The
direction tests use a margin scaled by the two objects' sizes, ``m = SIZE_MARGIN x`` the smaller
width (left/right) or height (above/below), never the image:
  left_of(c, p)   True when c's box ends before p's starts (overlap of at most m); False when
                  c's centroid is not left of p's centroid, or each centroid lies within the
                  other's x-span and the spans overlap by half the smaller width or more (the
                  two are level); else None (say, up and to the left: a person may say either)
  right_of, above, below   the same on the other sides
  touching(c, p)  True when at least TOUCH_PIXELS of c's pixels lie within TOUCH_RADIUS px
                  (city-block) of p's mask; False when none lies within ``margin``; else None
  between(c, p, q)  True when c's box lies within the x-span of the two centroids (by margin)
                  and c's centroid height lies within both prompts' heights; False when c's
                  centroid is outside the x-span; else None (across but above or below them)
  nearest         smallest mask gap, kept only if the runner-up's gap is ``ratio`` x larger plus
                  ``margin`` and the same candidate is also nearest centre to centre
Nothing here depends on depth: a 2D mask cannot tell in front from behind, so there is no
"in front of", "behind" or "on top of"; contact is what the image shows.
A referring text is kept only when no instance of the named category gets None (see vtres).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.ndimage import distance_transform_cdt

from builders.objects import ObjectFacts

SIZE_MARGIN = 0.1
OVERLAP_FALSE = 0.5
TOUCH_RADIUS = 2
TOUCH_PIXELS = 4


def _size(a: ObjectFacts, axis: int) -> float:
    return float(a.box[2 + axis] - a.box[axis])


def _before(c: ObjectFacts, p: ObjectFacts, axis: int) -> bool | None:
    """c before p along ``axis`` (0: x, left of; 1: y, above)."""
    smaller = min(_size(c, axis), _size(p, axis))
    if c.box[2 + axis] - p.box[axis] <= SIZE_MARGIN * smaller:
        return True
    overlap = min(c.box[2 + axis], p.box[2 + axis]) - max(c.box[axis], p.box[axis])
    level = all(a.box[axis] <= b.centroid[axis] <= a.box[2 + axis] for a, b in ((c, p), (p, c)))
    if c.centroid[axis] >= p.centroid[axis] or (level and overlap >= OVERLAP_FALSE * smaller):
        return False
    return None


def left_of(c: ObjectFacts, p: ObjectFacts, margin: float = 0.0) -> bool | None:
    return _before(c, p, 0)


def right_of(c: ObjectFacts, p: ObjectFacts, margin: float = 0.0) -> bool | None:
    return _before(p, c, 0)


def above(c: ObjectFacts, p: ObjectFacts, margin: float = 0.0) -> bool | None:
    return _before(c, p, 1)


def below(c: ObjectFacts, p: ObjectFacts, margin: float = 0.0) -> bool | None:
    return _before(p, c, 1)


def _window(a: ObjectFacts, b: ObjectFacts, radius: int) -> tuple[int, int, int, int] | None:
    x0, y0 = max(a.box[0], b.box[0] - radius), max(a.box[1], b.box[1] - radius)
    x1, y1 = min(a.box[2], b.box[2] + radius), min(a.box[3], b.box[3] + radius)
    return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


def _paste(f: ObjectFacts, window: tuple[int, int, int, int], pad: int) -> np.ndarray:
    """f's mask over ``window`` grown by ``pad`` on every side: (h + 2 pad, w + 2 pad) bool."""
    x0, y0, x1, y1 = window[0] - pad, window[1] - pad, window[2] + pad, window[3] + pad
    out = np.zeros((y1 - y0, x1 - x0), dtype=bool)
    fx0, fy0, fx1, fy1 = max(f.box[0], x0), max(f.box[1], y0), min(f.box[2], x1), min(f.box[3], y1)
    if fx0 < fx1 and fy0 < fy1:
        out[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0] = f.crop[
            fy0 - f.box[1] : fy1 - f.box[1], fx0 - f.box[0] : fx1 - f.box[0]
        ]
    return out


def pixels_near(a: ObjectFacts, b: ObjectFacts, radii: tuple[int, ...]) -> list[int]:
    """For each radius, the number of a's pixels within it (city-block distance) of b's mask.

    One distance transform of b over a's box (grown by the largest radius) serves every radius;
    boxes that do not meet within it give zeros without one.
    """
    radii = tuple(max(int(r), 1) for r in radii)
    far = max(radii)
    window = _window(a, b, far)
    if window is None:
        return [0] * len(radii)
    grown = _paste(b, window, far)
    if not grown.any():
        return [0] * len(radii)
    steps = distance_transform_cdt(~grown, metric="taxicab")[far:-far, far:-far]
    inside = steps[_paste(a, window, 0)]
    return [int(np.count_nonzero(inside <= r)) for r in radii]


def touching(c: ObjectFacts, p: ObjectFacts, margin: float) -> bool | None:
    close, within = pixels_near(c, p, (TOUCH_RADIUS, max(int(margin), TOUCH_RADIUS + 1)))
    if close >= TOUCH_PIXELS:
        return True
    return False if within == 0 else None


PAIR_RELATIONS: dict[str, Callable[[ObjectFacts, ObjectFacts, float], bool | None]] = {
    "left_of": left_of,
    "right_of": right_of,
    "above": above,
    "below": below,
    "touching": touching,
}
DIRECTIONS = ("left_of", "right_of", "above", "below")


def between(c: ObjectFacts, first: ObjectFacts, second: ObjectFacts, margin: float) -> bool | None:
    """Is c between the two prompts both across (x) and in height (y)? (module doc)"""
    low, high = sorted((first.centroid[0], second.centroid[0]))
    y = c.centroid[1]
    in_height = [p.box[1] <= y <= p.box[3] for p in (first, second)]
    if c.centroid[0] <= low or c.centroid[0] >= high:
        return False
    if low + margin <= c.box[0] and c.box[2] <= high - margin and all(in_height):
        return True
    return None


def mask_gap(a: ObjectFacts, b: ObjectFacts) -> float:
    """The smallest Euclidean distance between a pixel of a and a pixel of b (0 if adjacent).

    Measured between the two outlines (ObjectFacts.outline): each of a's boundary pixels looks up
    its nearest boundary pixel of b in b's k-d tree, built once per object.
    """
    if not len(a.outline) or not len(b.outline):
        return float("inf")
    found, _ = b.outline_tree.query(a.outline, k=1)
    squared = round(float(found.min()) ** 2)  # integer coordinates: an exact squared distance
    return max(float(np.sqrt(squared)) - 1.0, 0.0)


def distance(a: ObjectFacts, b: ObjectFacts) -> float:
    """Centroid to centroid, in pixels."""
    return float(np.hypot(a.centroid[0] - b.centroid[0], a.centroid[1] - b.centroid[1]))


def box_gap(a: ObjectFacts, b: ObjectFacts) -> float:
    """A lower bound of ``mask_gap(a, b)`` from the boxes alone (0 when they meet or overlap)."""
    dx = max(0, b.box[0] - (a.box[2] - 1), a.box[0] - (b.box[2] - 1))
    dy = max(0, b.box[1] - (a.box[3] - 1), a.box[1] - (b.box[3] - 1))
    return max(float(np.sqrt(dx * dx + dy * dy)) - 1.0, 0.0)  # as mask_gap rounds it


def nearest(
    candidates: list[ObjectFacts], prompt: ObjectFacts, ratio: float, margin: float
) -> ObjectFacts | None:
    """The candidate whose mask is nearest to ``prompt``'s, if the runner-up is clearly farther.

    Only the two smallest gaps matter: candidates are visited by their box lower bound, and the
    visit stops once that bound exceeds the second smallest gap measured; a lone candidate needs
    no gap at all.
    """
    if not candidates:
        return None
    ranked: list[tuple[float, int]] = []
    if len(candidates) > 1:
        bounds = sorted((box_gap(c, prompt), i) for i, c in enumerate(candidates))
        for bound, i in bounds:
            if len(ranked) >= 2 and bound > ranked[1][0]:
                break
            ranked = sorted([*ranked, (mask_gap(candidates[i], prompt), i)])[:2]
        if ranked[1][0] < ratio * ranked[0][0] + margin:
            return None
    winner = ranked[0][1] if ranked else 0
    by_centre = min(range(len(candidates)), key=lambda i: distance(candidates[i], prompt))
    return candidates[winner] if by_centre == winner else None


def clear_direction(a: ObjectFacts, b: ObjectFacts) -> str | None:
    """The one direction of ``a`` relative to ``b`` that holds, when none is borderline."""
    values = {name: PAIR_RELATIONS[name](a, b, 0.0) for name in DIRECTIONS}
    if any(v is None for v in values.values()):
        return None
    holding = [name for name, v in values.items() if v]
    return holding[0] if len(holding) == 1 else None
