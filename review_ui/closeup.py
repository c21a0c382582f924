"""The automatic close-up of a small prompt region (prompt regions of a few hundred pixels are
slivers on a full photo).

API:
  CLOSEUP_FRACTION = 0.01     a close-up is shown when the prompts cover less than this share
  closeup_box(prompts, height, width) -> (x0, y0, x1, y1) | None   the crop, in image pixels
  closeup(rgb, box, side=CLOSEUP_SIDE) -> (h, w, 3) uint8         the crop, longest side ``side``

The crop is centred on the prompts' union box, ``CONTEXT`` times its larger side (at least
``MIN_CROP`` px, at most the image), and is shifted, not shrunk, to stay inside the image.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from perbench.masks import area, bbox, union_rle

CLOSEUP_FRACTION = 0.01
CLOSEUP_SIDE = 384
CONTEXT = 3.0
MIN_CROP = 64


def closeup_box(
    prompts: list[dict[str, Any]], height: int, width: int
) -> tuple[int, int, int, int] | None:
    """The close-up crop of ``prompts`` (None: no prompt, or they cover enough of the image)."""
    if not prompts:
        return None
    union = union_rle([p["mask"] for p in prompts], height, width)
    covered = area(union)
    if covered == 0 or covered >= CLOSEUP_FRACTION * height * width:
        return None
    x, y, w, h = bbox(union)
    side = min(max(MIN_CROP, CONTEXT * max(w, h)), height, width)
    cx, cy = x + w / 2, y + h / 2
    x0 = int(round(min(max(cx - side / 2, 0), width - side)))
    y0 = int(round(min(max(cy - side / 2, 0), height - side)))
    return x0, y0, x0 + int(side), y0 + int(side)


def closeup(
    rgb: np.ndarray, box: tuple[int, int, int, int], side: int = CLOSEUP_SIDE
) -> np.ndarray:
    """``rgb[y0:y1, x0:x1]`` scaled so its longest side is ``side``. rgb: (H, W, 3) uint8."""
    x0, y0, x1, y1 = box
    crop = Image.fromarray(rgb[y0:y1, x0:x1])
    scale = side / max(crop.size)
    size = (max(1, round(crop.width * scale)), max(1, round(crop.height * scale)))
    return np.asarray(crop.resize(size, Image.BILINEAR))
