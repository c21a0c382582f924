"""The automatic close-up of a small or thin prompt region (prompt regions of a few hundred
pixels, or a chair's thin legs, are slivers on a full photo).

API:
  CLOSEUP_FRACTION = 0.01     a close-up is shown when the prompts cover less than this share
  THIN_PX = 12                ... or when their union box is thinner than this on the main view
  MIN_ZOOM = 3.0              the close-up shows the region at least this many times larger
                              than the main view does
  MAIN_VIEW = (696, 520)      the main image's box at 1366x768 (CSS px), what the zoom is
                              measured against
  main_scale(height, width) -> float   CSS px per image px of the main view
  closeup_box(prompts, height, width) -> (x0, y0, x1, y1) | None   the crop, in image pixels
  closeup(rgb, box, side=CLOSEUP_SIDE) -> (h, w, 3) uint8         the crop, longest side ``side``
  closeup_zoom(box, height, width) -> float   the close-up's scale over the main view's

The crop is centred on the prompts' union box, ``CONTEXT`` times its larger side (at least
``MIN_CROP`` px), but never larger than the side that keeps ``MIN_ZOOM`` (a long thin region
shows its middle), nor than the image; it is shifted, not shrunk, to stay inside the image.
The close-up is shown at its own size (``CLOSEUP_SIDE`` CSS px, review_ui.layout).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from perbench.masks import area, bbox, union_rle

CLOSEUP_FRACTION = 0.01
THIN_PX = 12
MIN_ZOOM = 3.0
MAIN_VIEW = (696, 520)
CLOSEUP_SIDE = 320
CONTEXT = 3.0
MIN_CROP = 48


def main_scale(height: int, width: int) -> float:
    return min(MAIN_VIEW[0] / width, MAIN_VIEW[1] / height)


def closeup_box(
    prompts: list[dict[str, Any]], height: int, width: int
) -> tuple[int, int, int, int] | None:
    """The close-up crop of ``prompts`` (None: no prompt, or they are large enough to see)."""
    if not prompts:
        return None
    union = union_rle([p["mask"] for p in prompts], height, width)
    covered = area(union)
    if covered == 0:
        return None
    x, y, w, h = bbox(union)
    scale = main_scale(height, width)
    thin = min(w, h) * scale < THIN_PX
    if covered >= CLOSEUP_FRACTION * height * width and not thin:
        return None
    widest = CLOSEUP_SIDE / (MIN_ZOOM * scale)
    side = int(min(max(MIN_CROP, CONTEXT * max(w, h)), widest, height, width))
    cx, cy = x + w / 2, y + h / 2
    x0 = int(round(min(max(cx - side / 2, 0), width - side)))
    y0 = int(round(min(max(cy - side / 2, 0), height - side)))
    return x0, y0, x0 + side, y0 + side


def closeup_zoom(box: tuple[int, int, int, int], height: int, width: int) -> float:
    """How many times larger the close-up shows the region than the main view does."""
    x0, y0, x1, y1 = box
    return CLOSEUP_SIDE / max(x1 - x0, y1 - y0) / main_scale(height, width)


def closeup(
    rgb: np.ndarray, box: tuple[int, int, int, int], side: int = CLOSEUP_SIDE
) -> np.ndarray:
    """``rgb[y0:y1, x0:x1]`` scaled so its longest side is ``side``. rgb: (H, W, 3) uint8."""
    x0, y0, x1, y1 = box
    crop = Image.fromarray(rgb[y0:y1, x0:x1])
    scale = side / max(crop.size)
    size = (max(1, round(crop.width * scale)), max(1, round(crop.height * scale)))
    return np.asarray(crop.resize(size, Image.BILINEAR))
