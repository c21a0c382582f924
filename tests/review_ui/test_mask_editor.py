"""The mask editor's value and the mask it hands back (the browser side: test_browser_masks)."""

from __future__ import annotations

import base64
import html
import io
import re

import numpy as np
import pytest
from PIL import Image

from perbench.masks import decode
from review_ui.mask_editor import MaskEditorError, editor_html, mask_from_png
from review_ui.view import ViewMaker


def _attr(value: str, name: str) -> str:
    return html.unescape(re.search(f'{name}="([^"]*)"', value).group(1))


def _png(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_the_loaded_mask_comes_back_unchanged_at_the_image_size(store, tmp_path):
    views = ViewMaker(store, tmp_path / "display")
    sample = next(store.candidates("vt_res"))
    value = views.editor_value(sample, "target 1")
    assert (_attr(value, "data-w"), _attr(value, "data-h")) == (
        str(sample.width),
        str(sample.height),
    )
    back = mask_from_png(_attr(value, "data-mask"), sample.height, sample.width, sample.id)
    assert back == sample.targets[0]
    assert "data-mask" in views.editor_value(sample, "new target")


def test_half_covered_pixels_count_and_wrong_sizes_are_refused():
    layer = np.zeros((30, 40, 4), np.uint8)
    layer[5:10, 5:10, 3] = 128
    layer[20:25, 20:25, 3] = 127
    mask = decode(mask_from_png(_png(layer), 30, 40, "s1"))
    assert mask.sum() == 25 and mask[5:10, 5:10].all()
    with pytest.raises(MaskEditorError, match="s1: the editor holds a 40x30 mask"):
        mask_from_png(_png(layer), 60, 80, "s1")
    with pytest.raises(MaskEditorError, match="load a mask into the editor"):
        mask_from_png("", 30, 40, "s1")


def test_every_size_and_colour_is_in_the_value():
    rgb = np.zeros((3000, 4000, 3), np.uint8)
    value = editor_html(rgb, None, (10, 20, 30))
    assert 'data-w="4000"' in value and 'data-h="3000"' in value and "#0a141e" in value
