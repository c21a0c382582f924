"""Draw visual prompts on an image: each prompt mask tinted, outlined and labelled with its tag.

API:
  PROMPT_COLORS, TARGET_COLOR    RGB colours
  prompt_color(index)            the colour of the index-th prompt (the palette repeats)
  draw_regions(rgb, prompts, targets=None, alpha=0.45)  -> (H, W, 3) uint8
  marked_image_bytes(image_bytes, prompts)             -> PNG bytes (for chat VLMs)
  load_rgb(image, where=None)                          bytes or path -> (H, W, 3) uint8

Used by the review app (prompts and targets) and by releases that carry a marked image per
sample, so models that cannot take a mask as input still see which object ``<region1>`` is.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from perbench.images import decode_image
from perbench.masks import RLE, bbox, decode

PROMPT_COLORS = [(255, 40, 40), (40, 120, 255), (255, 200, 0), (200, 0, 255), (0, 220, 220)]
TARGET_COLOR = (40, 220, 40)


def prompt_color(index: int) -> tuple[int, int, int]:
    """The colour of the ``index``-th prompt (0-based); the palette repeats."""
    return PROMPT_COLORS[index % len(PROMPT_COLORS)]


def load_rgb(image: bytes | str | Path, where: str | None = None) -> np.ndarray:
    """An encoded image (bytes) or image path as ``(H, W, 3) uint8``; ImageError if broken."""
    label = where or (str(image) if not isinstance(image, bytes) else "image")
    return decode_image(image, label, mode="RGB")


def _outline(mask: np.ndarray, thickness: int) -> np.ndarray:
    inside = mask.astype(bool)
    eroded = inside.copy()
    for _ in range(thickness):
        shrunk = eroded.copy()
        shrunk[1:, :] &= eroded[:-1, :]
        shrunk[:-1, :] &= eroded[1:, :]
        shrunk[:, 1:] &= eroded[:, :-1]
        shrunk[:, :-1] &= eroded[:, 1:]
        eroded = shrunk
    return inside & ~eroded


def _label_anchor(mask: np.ndarray, left: int, top: int) -> tuple[int, int] | None:
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return None
    first_row = ys.min()
    return int(xs[ys == first_row].mean()) + left, int(first_row) + top


def draw_regions(
    rgb: np.ndarray,
    prompts: list[dict],
    targets: list[RLE] | None = None,
    alpha: float = 0.45,
) -> np.ndarray:
    """Tint, outline and label each prompt (``{"tag", "mask"}``); targets tinted green.

    rgb: (H, W, 3) uint8; masks: RLE of size [H, W]. Returns a new (H, W, 3) uint8 array.
    Work is done inside each mask's bounding box, so cost follows object size, not image size.
    """
    canvas = rgb.copy()
    height, width = rgb.shape[:2]
    thickness = max(2, round(min(height, width) / 200))
    layers = [(t, TARGET_COLOR, None) for t in targets or []]
    layers += [(p["mask"], prompt_color(i), p["tag"]) for i, p in enumerate(prompts)]
    labels = []
    for rle, color, tag in layers:
        x, y, w, h = (int(v) for v in bbox(rle))
        if w == 0 or h == 0:
            continue
        # a margin of `thickness` so the outline also runs along the bounding box's edges
        x, y = max(x - thickness, 0), max(y - thickness, 0)
        crop = (slice(y, y + h + 2 * thickness), slice(x, x + w + 2 * thickness))
        inside = decode(rle)[crop].astype(bool)
        region = canvas[crop]
        tinted = (
            region[inside].astype(np.float32) * (1 - alpha) + np.array(color, np.float32) * alpha
        )
        region[inside] = tinted.astype(np.uint8)
        region[_outline(inside, thickness)] = color
        if tag:
            labels.append((_label_anchor(inside, x, y), color, tag))
    image = Image.fromarray(canvas)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(12, round(min(height, width) / 28)))
    for anchor, color, tag in labels:
        text = tag.strip("<>")
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        x = min(max(anchor[0] - (right - left) // 2, 0), max(width - (right - left) - 4, 0))
        y = max(anchor[1] - (bottom - top) - 6, 0)
        draw.rectangle((x, y, x + right - left + 4, y + bottom - top + 6), fill=color)
        draw.text((x + 2 - left, y + 2 - top), text, fill=(255, 255, 255), font=font)
    return np.asarray(image)


def marked_image_bytes(image: bytes | str | Path, prompts: list[dict]) -> bytes:
    """PNG bytes of the image with its prompt regions outlined and labelled."""
    buffer = io.BytesIO()
    Image.fromarray(draw_regions(load_rgb(image), prompts)).save(buffer, format="PNG")
    return buffer.getvalue()
