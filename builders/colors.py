"""Colour names of an object's pixels, decided in CIELAB (a perceptual colour space).

API:
  COLOR_NAMES                        the eleven basic colour terms, with a reference sRGB value
  EXTRA_REFERENCES                   more sRGB prototypes of a name (navy and sky blue are blue)
  name_colors(pixels)                -> [(name, fraction), ...] most frequent first
  color_distance(name_a, name_b)     CIE76 distance (Delta E) between two named colours
  dominant_colors(colors, share)     the one or two names that clearly dominate, else []
  present_colors(colors)             every name covering at least PRESENT_SHARE of the pixels

pixels: (N, 3) uint8 sRGB. Each pixel takes the name of the nearest reference colour or extra
prototype in Lab (Delta E 1976); the fractions of the names are the confidence. At most
``MAX_PIXELS`` pixels, taken with a fixed stride, are classified, so the result is deterministic
and fast. MCQ distractor distances use the reference colours only.
"""

from __future__ import annotations

import numpy as np
from skimage.color import rgb2lab

COLOR_NAMES: dict[str, tuple[int, int, int]] = {
    "black": (25, 25, 25),
    "white": (240, 240, 240),
    "gray": (128, 128, 128),
    "red": (200, 30, 35),
    "orange": (240, 140, 30),
    "yellow": (240, 215, 40),
    "green": (50, 150, 60),
    "blue": (40, 90, 200),
    "purple": (130, 60, 160),
    "pink": (240, 150, 185),
    "brown": (120, 75, 40),
}
# Lab distance under-weights chroma at the ends of the lightness range: without these, navy
# comes out purple and sky blue or cyan comes out white.
EXTRA_REFERENCES: list[tuple[str, tuple[int, int, int]]] = [
    ("blue", (20, 30, 110)),
    ("blue", (110, 170, 230)),
    ("blue", (30, 150, 190)),
]
MAX_PIXELS = 4096
PRESENT_SHARE = 0.02
DOMINANCE_RATIO = 3.0  # the named colour(s) cover this many times the next one
TWO_COLOR_SHARE = 0.3  # each of two named colours covers at least this share
_NAMES = list(COLOR_NAMES)
_REFERENCE_LAB = rgb2lab(np.array([list(COLOR_NAMES.values())], dtype=np.uint8))[0]
_PROTOTYPE_NAMES = np.array(
    [*range(len(_NAMES)), *(_NAMES.index(name) for name, _ in EXTRA_REFERENCES)]
)
_PROTOTYPE_LAB = np.concatenate(
    [_REFERENCE_LAB, rgb2lab(np.array([[rgb for _, rgb in EXTRA_REFERENCES]], dtype=np.uint8))[0]]
)


def _nearest_prototype(lab: np.ndarray) -> np.ndarray:
    """(N,) index of the nearest prototype of each ``lab`` (N, 3) row, by Delta E 1976.

    One prototype at a time on the three channels: the same sums, in the same order, as
    ``norm(lab - prototype)`` (bitwise equal over all 2**24 sRGB colours), without an (N, P, 3)
    array or numpy's slow reduction over a length-3 axis.
    """
    channels = [np.ascontiguousarray(lab[:, i]) for i in range(3)]
    squared = np.empty((len(_PROTOTYPE_LAB), len(lab)))
    for k, prototype in enumerate(_PROTOTYPE_LAB):
        dl, da, db = (channel - value for channel, value in zip(channels, prototype, strict=True))
        squared[k] = dl * dl + da * da + db * db
    return np.sqrt(squared).argmin(axis=0)


def name_colors(pixels: np.ndarray) -> list[tuple[str, float]]:
    """Colour names of ``pixels`` (N, 3) uint8 with their fractions, most frequent first."""
    if len(pixels) == 0:
        return []
    stride = max(1, len(pixels) // MAX_PIXELS)
    lab = rgb2lab(np.asarray(pixels[::stride], dtype=np.uint8)[None])[0]
    counts = np.bincount(_PROTOTYPE_NAMES[_nearest_prototype(lab)], minlength=len(_NAMES))
    order = np.argsort(-counts, kind="stable")
    total = counts.sum()
    return [(_NAMES[i], round(float(counts[i] / total), 3)) for i in order if counts[i]]


def color_distance(name_a: str, name_b: str) -> float:
    """Delta E (CIE76) between two reference colours."""
    return float(
        np.linalg.norm(_REFERENCE_LAB[_NAMES.index(name_a)] - _REFERENCE_LAB[_NAMES.index(name_b)])
    )


def dominant_colors(colors: list[tuple[str, float]], share: float) -> list[str]:
    """One name when it covers ``share`` of the pixels and DOMINANCE_RATIO x the runner-up; two
    names when both cover TWO_COLOR_SHARE, together ``share``, and DOMINANCE_RATIO x the third;
    otherwise no name (no colour is true of the region as a whole)."""
    fractions = [f for _, f in colors] + [0.0, 0.0, 0.0]
    if not colors:
        return []
    if fractions[0] >= share and fractions[0] >= DOMINANCE_RATIO * fractions[1]:
        return [colors[0][0]]
    if (
        len(colors) >= 2
        and fractions[1] >= TWO_COLOR_SHARE
        and fractions[0] + fractions[1] >= share
        and fractions[1] >= DOMINANCE_RATIO * fractions[2]
    ):
        return [colors[0][0], colors[1][0]]
    return []


def present_colors(colors: list[tuple[str, float]]) -> set[str]:
    """Names covering at least PRESENT_SHARE of the region: never offered as a wrong option."""
    return {name for name, fraction in colors if fraction >= PRESENT_SHARE}
