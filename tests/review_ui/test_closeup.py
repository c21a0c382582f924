"""The automatic close-up of a small prompt region and the overlay toggle (key O)."""

from __future__ import annotations

import re

import numpy as np
from gradio_client import Client
from PIL import Image

from perbench.masks import area, decode, encode
from review_ui.closeup import (
    CLOSEUP_FRACTION,
    CLOSEUP_SIDE,
    MIN_CROP,
    MIN_ZOOM,
    THIN_PX,
    closeup,
    closeup_box,
    closeup_zoom,
    main_scale,
)
from review_ui.view import ViewMaker

SAMPLE = 1


def _prompt(height: int, width: int, x0: int, y0: int, x1: int, y1: int) -> list[dict]:
    mask = np.zeros((height, width), np.uint8)
    mask[y0:y1, x0:x1] = 1
    return [{"tag": "<region1>", "mask": encode(mask)}]


def test_a_small_prompt_gets_a_closeup_box_a_large_one_none():
    assert closeup_box(_prompt(300, 400, 100, 100, 300, 250), 300, 400) is None  # 25%
    assert closeup_box([], 300, 400) is None
    box = closeup_box(_prompt(300, 400, 200, 100, 210, 110), 300, 400)  # 0.08%
    assert box == (181, 81, 181 + MIN_CROP, 81 + MIN_CROP)
    corner = closeup_box(_prompt(300, 400, 390, 290, 400, 300), 300, 400)
    assert corner == (400 - MIN_CROP, 300 - MIN_CROP, 400, 300)  # shifted inside, not shrunk
    wide = closeup_box(_prompt(300, 400, 100, 100, 130, 105), 300, 400)  # 30 px wide
    assert wide is not None and wide[0] <= 100 and wide[2] >= 130


def test_thin_and_small_regions_get_a_closeup_of_at_least_3x():
    """The issue: a 1.2x close-up of a thin chair was useless."""
    for height, width in ((375, 500), (3000, 4000), (640, 480)):
        thin = int(THIN_PX / main_scale(height, width)) - 1  # image px under THIN_PX on screen
        leg = _prompt(height, width, width // 2, 0, width // 2 + thin, height)
        assert area(leg[0]["mask"]) >= CLOSEUP_FRACTION * height * width  # large but thin
        for prompts in (leg, _prompt(height, width, 10, 10, 20, 20)):
            box = closeup_box(prompts, height, width)
            assert box is not None
            assert closeup_zoom(box, height, width) >= MIN_ZOOM
            assert 0 <= box[0] < box[2] <= width and 0 <= box[1] < box[3] <= height
    wide_and_thick = _prompt(375, 500, 100, 100, 300, 250)
    assert closeup_box(wide_and_thick, 375, 500) is None


def test_closeup_scales_the_crop_to_its_side():
    rgb = np.zeros((300, 400, 3), np.uint8)
    rgb[100:110, 200:210] = 255
    near = closeup(rgb, (173, 73, 237, 137))
    assert near.shape == (CLOSEUP_SIDE, CLOSEUP_SIDE, 3)
    assert near[CLOSEUP_SIDE // 2, CLOSEUP_SIDE // 2].tolist() == [255, 255, 255]
    assert near[5, 5].tolist() == [0, 0, 0]


def test_view_has_a_closeup_only_for_small_prompts_and_a_bare_image_on_request(store, tmp_path):
    views = ViewMaker(store, tmp_path / "display")
    sample = next(store.candidates("description"))
    h, w = sample.height, sample.width
    large = views.prepare(sample.id, {"prompts": _prompt(h, w, 0, 0, w // 2, h // 2)})
    assert large.closeup_path is None
    small = views.prepare(sample.id, {"prompts": _prompt(h, w, 10, 10, 20, 20)})
    assert small.closeup_path is not None and small.closeup_path.exists()
    bare = views.prepare(sample.id, overlay=False)
    shown = np.asarray(Image.open(bare.image_path).convert("RGB")).astype(int)
    drawn = np.asarray(Image.open(views.prepare(sample.id).image_path).convert("RGB")).astype(int)
    plain = views.rgb(sample.image_id).astype(int)
    inside = decode(sample.prompts[0]["mask"]).astype(bool)
    assert np.abs(shown - plain)[inside].mean() < 4 < np.abs(drawn - plain)[inside].mean()


def test_key_o_toggles_the_overlay_of_the_current_sample(store, serve, tmp_path):
    client = Client(serve(store), verbose=False)
    page = client.predict(api_name="/show")
    sample = store.candidate(page[SAMPLE], with_image=False)
    plain = ViewMaker(store, tmp_path / "other").rgb(sample.image_id).astype(int)
    inside = decode(sample.prompts[0]["mask"]).astype(bool)

    def distance(picture: str) -> float:  # the page's <img> by URL: the file it names
        name = re.search(r'class="pb-sample" src="pb-image/([^"]+)"', picture)[1]
        shown = np.asarray(Image.open(tmp_path / "display" / name).convert("RGB")).astype(int)
        return float(np.abs(shown - plain)[inside].mean())

    assert distance(page[0]) > 4
    off, _, message = client.predict(page[SAMPLE], api_name="/overlay")
    assert distance(off) < 4 and "press O" in message
    on, _, message = client.predict(page[SAMPLE], api_name="/overlay")
    assert distance(on) > 4 and message == ""
    assert store.decisions() == []
