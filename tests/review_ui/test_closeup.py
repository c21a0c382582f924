"""The automatic close-up of a small prompt region and the overlay toggle (key O)."""

from __future__ import annotations

import numpy as np
from gradio_client import Client
from PIL import Image

from perbench.masks import decode, encode
from review_ui.closeup import CLOSEUP_SIDE, MIN_CROP, closeup, closeup_box
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
    assert box == (173, 73, 173 + MIN_CROP, 73 + MIN_CROP)
    corner = closeup_box(_prompt(300, 400, 390, 290, 400, 300), 300, 400)
    assert corner == (400 - MIN_CROP, 300 - MIN_CROP, 400, 300)  # shifted inside, not shrunk
    wide = closeup_box(_prompt(300, 400, 100, 100, 130, 105), 300, 400)  # 30 px wide: 3x = 90
    assert wide is not None and wide[2] - wide[0] == 90 and wide[0] <= 100 and wide[2] >= 130


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

    def distance(path) -> float:
        shown = np.asarray(Image.open(path).convert("RGB")).astype(int)
        return float(np.abs(shown - plain)[inside].mean())

    assert distance(page[0]) > 4
    off, _, message = client.predict(page[SAMPLE], api_name="/overlay")
    assert distance(off) < 4 and "press O" in message
    on, _, message = client.predict(page[SAMPLE], api_name="/overlay")
    assert distance(on) > 4 and message == ""
    assert store.decisions() == []
