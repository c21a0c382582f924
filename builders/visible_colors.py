"""Which colour, if any, the visible pixels of one region allow a careful annotator to name.

API:
  photo_exposure(rgb) -> float       the photo's bright reference: the EXPOSURE_PERCENTILE-th
                                     percentile of CIELAB lightness L* (0-100) over the image
  judge_light(lightness, chroma, clipped_share, exposure) -> str | None
                                     "too dark" / "too bright" when no colour can be told, else None
  region_colors(rgb, crop, box, person, exposure, share, min_pixels) -> RegionColors
  NAMEABLE_COLORS                    colour names whose reference is light enough to be named
  RegionColors                       colors [(name, fraction)] (measured, whatever the verdict),
                                     named (one or two names, or []),
                                     unjudged ("too dark", "too bright", "too small", "thin",
                                     "mostly skin", "mixed"; None when ``named`` holds)

rgb: (H, W, 3) uint8; crop: (y1 - y0, x1 - x0) bool, the mask inside ``box`` = (x0, y0, x1, y1).
Rules (what the pixels can support):
  - the mask is eroded by ``COLOR_ERODE`` px (edges mix in the background); a thin or wiry
    region (erosion keeps under ``THIN_SHARE``: chair frames) gets no colour;
  - a person's colours are those of what they wear: the top ``HEAD_SHARE`` of the box (head and
    hair) and skin-toned pixels (YCbCr rule of Chai and Ngan) are left out; a person whose
    remaining pixels are over ``MAX_SKIN_SHARE`` skin shows too little clothing ("mostly skin");
  - too dark: the region's median L* is under ``DARK_LIGHTNESS``, or the photo itself is dim
    (its exposure under ``DIM_PHOTO``) and the region's median L* under ``DIM_REGION``: in a dark
    photo a neon yellow ball measures black and brown;
  - too bright: the median L* is ``BRIGHT_LIGHTNESS`` or more with a median chroma C* under
    ``WASHED_CHROMA`` (near white), or ``CLIPPED_SHARE`` of the pixels are clipped (every channel
    >= ``CLIPPED``): a washed-out region looks white whatever it is, so a white object is not
    named white either (the pixels cannot tell the two apart); a bright neon colour is named;
  - too small: the region has under ``min_pixels`` pixels (a person: under half as many
    clothing pixels);
  - otherwise the one or two names that clearly dominate (builders.colors.dominant_colors) are
    named; a region where none dominates is "mixed".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import binary_erosion
from skimage.color import rgb2lab

from builders.colors import COLOR_NAMES, MAX_PIXELS, dominant_colors, name_colors

COLOR_ERODE = 2
THIN_SHARE = 0.5
HEAD_SHARE = 0.2
MAX_SKIN_SHARE = 0.5
DARK_LIGHTNESS = 35.0
DIM_PHOTO = 40.0
DIM_REGION = 50.0
EXPOSURE_PERCENTILE = 95
BRIGHT_LIGHTNESS = 90.0
WASHED_CHROMA = 20.0
CLIPPED = 250
CLIPPED_SHARE = 0.25
EXPOSURE_SAMPLES = 20000


# the names a region can get: black (L* 10) always reads "too dark"
NAMEABLE_COLORS = [
    name
    for name, rgb in COLOR_NAMES.items()
    if rgb2lab(np.array([[rgb]], dtype=np.uint8))[0, 0, 0] >= DARK_LIGHTNESS
]


@dataclass
class RegionColors:
    """What can be said about a region's colour; ``unjudged`` says why nothing is named."""

    colors: list[tuple[str, float]] = field(default_factory=list)
    named: list[str] = field(default_factory=list)
    unjudged: str | None = None


def _lab(pixels: np.ndarray) -> np.ndarray:
    """CIELAB (N, 3) of pixels (N, 3) uint8."""
    return rgb2lab(np.asarray(pixels, dtype=np.uint8)[None])[0]


def _lightness(pixels: np.ndarray) -> np.ndarray:
    """L* (N,) of pixels (N, 3) uint8."""
    return _lab(pixels)[:, 0]


def photo_exposure(rgb: np.ndarray) -> float:
    """The photo's bright reference L*: a high percentile over (at most) EXPOSURE_SAMPLES pixels."""
    pixels = rgb.reshape(-1, 3)
    stride = max(1, len(pixels) // EXPOSURE_SAMPLES)
    return float(np.percentile(_lightness(pixels[::stride]), EXPOSURE_PERCENTILE))


def judge_light(
    lightness: float, chroma: float, clipped_share: float, exposure: float
) -> str | None:
    """Why the region's colour cannot be told from its light (median L* and chroma C*), or
    None when it can."""
    if lightness < DARK_LIGHTNESS or (exposure < DIM_PHOTO and lightness < DIM_REGION):
        return "too dark"
    washed = lightness >= BRIGHT_LIGHTNESS and chroma < WASHED_CHROMA
    if washed or clipped_share >= CLIPPED_SHARE:
        return "too bright"
    return None


def _skin(pixels: np.ndarray) -> np.ndarray:
    """(N,) bool: skin-toned pixels of (N, 3) uint8 (Cb in [77, 127], Cr in [133, 173])."""
    r, g, b = (pixels[:, i].astype(float) for i in range(3))
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    return (cb >= 77) & (cb <= 127) & (cr >= 133) & (cr <= 173)


def region_colors(
    rgb: np.ndarray,
    crop: np.ndarray,
    box: tuple[int, int, int, int],
    person: bool,
    exposure: float,
    share: float = 0.6,
    min_pixels: int = 400,
) -> RegionColors:
    """The colours of the region ``crop`` at ``box`` in ``rgb`` (see the module doc)."""
    inner = binary_erosion(crop, iterations=COLOR_ERODE)
    if not crop.any() or inner.sum() < crop.sum() * THIN_SHARE:
        return RegionColors(unjudged="thin")
    if person:
        inner[: int(round(HEAD_SHARE * crop.shape[0]))] = False
    x0, y0, x1, y1 = box
    pixels = rgb[y0:y1, x0:x1][inner]
    if person:
        skin = _skin(pixels)
        if skin.mean() > MAX_SKIN_SHARE:
            return RegionColors(unjudged="mostly skin")
        pixels = pixels[~skin]
    if not len(pixels):
        return RegionColors(unjudged="too small")
    colors = name_colors(pixels)  # measured even when not named: never offered as a wrong option
    if crop.sum() < min_pixels or (person and len(pixels) < min_pixels / 2):
        return RegionColors(colors, unjudged="too small")
    sample = pixels[:: max(1, len(pixels) // MAX_PIXELS)]
    clipped = float((sample.min(axis=1) >= CLIPPED).mean())
    lab = _lab(sample)
    chroma = float(np.median(np.hypot(lab[:, 1], lab[:, 2])))
    light = judge_light(float(np.median(lab[:, 0])), chroma, clipped, exposure)
    if light:
        return RegionColors(colors, unjudged=light)
    named = dominant_colors(colors, share)
    return RegionColors(colors, named, None if named else "mixed")
