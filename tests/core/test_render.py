"""Prompt overlays: tint inside the mask, outline on its edge, nothing changed far outside."""

from __future__ import annotations

import numpy as np

from perbench.masks import encode
from perbench.render import PROMPT_COLORS, TARGET_COLOR, draw_regions


def test_overlay_tints_inside_outlines_edge_and_leaves_outside():
    rgb = np.full((120, 160, 3), 100, np.uint8)
    mask = np.zeros((120, 160), bool)
    mask[60:100, 50:110] = True
    target = np.zeros((120, 160), bool)
    target[5:20, 5:20] = True
    out = draw_regions(rgb, [{"tag": "<region1>", "mask": encode(mask)}], [encode(target)])
    red = np.array(PROMPT_COLORS[0])
    assert np.array_equal(out[60, 80], red), "top edge of the mask is outlined"
    assert np.array_equal(out[99, 80], red) and np.array_equal(out[80, 50], red)
    inside = out[80, 80].astype(int)
    assert np.all(np.abs(inside - (100 * 0.55 + red * 0.45)) <= 1), "inside is tinted"
    assert out[12, 12][1] > out[12, 12][0], "target tinted green"
    assert np.array_equal(out[110, 150], rgb[110, 150]), "far outside is unchanged"
    label_area = out[40:58, 60:100]
    assert (label_area == red).all(axis=-1).any(), "the tag label is drawn above the mask"
    assert TARGET_COLOR != PROMPT_COLORS[0]


def test_empty_prompt_mask_draws_nothing():
    rgb = np.full((10, 10, 3), 7, np.uint8)
    out = draw_regions(rgb, [{"tag": "<region1>", "mask": encode(np.zeros((10, 10)))}])
    assert np.array_equal(out, rgb)
