"""The review app's overlay: prompts, targets and the needs' annotated instances, outlined so
that every outline stands out from the photo under it.

API:
  draw_overlay(rgb, prompts, targets, needs) -> (H, W, 3) uint8
      rgb: (H, W, 3) uint8; prompts: [{"tag", "mask"}]; targets: [RLE]; needs: [(colour,
      [RLE])] (one colour per need, every annotated instance of its category). Prompts and
      targets are tinted and labelled as perbench.render.draw_regions does; each outline then
      gets a halo, black or white, whichever differs more from the photo under it, on both
      sides of its coloured line: a red outline on a red chair still shows as a white-edged line.
  halo_color(pixels) -> (r, g, b)   black or white, farther in luminance from ``pixels`` (N, 3)
"""

from __future__ import annotations

import numpy as np

from perbench.masks import RLE, bbox, decode
from perbench.render import TARGET_COLOR, _outline, draw_regions, prompt_color

BLACK, WHITE = (0, 0, 0), (255, 255, 255)
_LUMA = np.array([0.299, 0.587, 0.114])


def halo_color(pixels: np.ndarray) -> tuple[int, int, int]:
    if pixels.size == 0:
        return BLACK
    luma = float((pixels.reshape(-1, 3).astype(np.float64) @ _LUMA).mean())
    return BLACK if luma > 127.5 else WHITE


def _grow(mask: np.ndarray, steps: int) -> np.ndarray:
    grown = mask.copy()
    for _ in range(steps):
        step = grown.copy()
        step[1:, :] |= grown[:-1, :]
        step[:-1, :] |= grown[1:, :]
        step[:, 1:] |= grown[:, :-1]
        step[:, :-1] |= grown[:, 1:]
        grown = step
    return grown


def _outline_with_halo(
    canvas: np.ndarray, photo: np.ndarray, rle: RLE, color: tuple[int, int, int], thickness: int
) -> None:
    """Draw ``rle``'s outline in ``color``, edged inside and out by a contrasting halo."""
    x, y, w, h = (int(v) for v in bbox(rle))
    if w == 0 or h == 0:
        return
    halo = max(1, thickness // 2)
    margin = thickness + halo
    x0, y0 = max(x - margin, 0), max(y - margin, 0)
    crop = (slice(y0, y + h + margin), slice(x0, x + w + margin))
    inside = decode(rle)[crop].astype(bool)
    line = _outline(inside, thickness)
    edges = (_outline(inside, thickness + halo) & ~line) | (_grow(inside, halo) & ~inside)
    region = canvas[crop]
    region[edges] = halo_color(photo[crop][line | edges])
    region[line] = color


def draw_overlay(
    rgb: np.ndarray,
    prompts: list[dict],
    targets: list[RLE] | None,
    needs: list[tuple[tuple[int, int, int], list[RLE]]],
) -> np.ndarray:
    height, width = rgb.shape[:2]
    thickness = max(2, round(min(height, width) / 200))
    canvas = draw_regions(rgb, prompts, targets).copy()
    for color, masks in needs:
        for mask in masks:
            _outline_with_halo(canvas, rgb, mask, color, thickness)
    for mask in targets or []:
        _outline_with_halo(canvas, rgb, mask, TARGET_COLOR, thickness)
    for index, prompt in enumerate(prompts):
        _outline_with_halo(canvas, rgb, prompt["mask"], prompt_color(index), thickness)
    return canvas
