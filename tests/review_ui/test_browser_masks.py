"""Pixel-exact mask editing in Debian's chromium: strokes and polygons land where they are drawn.

Landscape, portrait and an image larger than the editor's box (4000x3000): a brush stroke
between known image pixels and (on the first) a polygon; the stored mask may differ from the
expected one only within 2 px of its border.
"""

from __future__ import annotations

import functools
import io
import os

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy import ndimage

from perbench.masks import decode, encode
from perbench.schema import Sample, make_sample_id
from perbench.store import CandidateStore
from review_ui.app import build_app, launch_app
from tests.review_ui.chromium import CHROMIUM, CHROMIUM_ARGS, SAMPLE_ID_JS

SIZES = ((640, 480), (480, 640), (4000, 3000))  # width, height
TOLERANCE = 2
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason=f"needs Debian's chromium at {CHROMIUM}"
    ),
]


def _sample(width: int, height: int) -> Sample:
    rng = np.random.default_rng(width)
    photo = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, format="JPEG", quality=80)
    prompt = np.zeros((height, width), np.uint8)
    prompt[height // 10 : height // 4, width // 10 : width // 4] = 1
    target = np.zeros((height, width), np.uint8)
    target[height // 2 :, width // 2 :] = 1
    key = f"synthetic-{width}x{height}"
    return Sample(
        id=make_sample_id("vt_res", key),
        task="vt_res",
        image_id=key,
        width=width,
        height=height,
        image=buffer.getvalue(),
        source={"dataset": "synthetic", "license": "CC0"},
        question="The box beside <region1>.",
        prompts=[{"tag": "<region1>", "mask": encode(prompt)}],
        targets=[encode(target)],
        meta={"category": "box"},
    )


@pytest.fixture
def shapes_store(tmp_path) -> CandidateStore:
    store = CandidateStore(tmp_path / "shapes.sqlite", create=True)
    store.add_candidates([_sample(w, h) for w, h in SIZES])
    return store


def _capsule(height: int, width: int, start, end, radius: float) -> np.ndarray:
    """Pixels whose centre lies within ``radius`` of the segment start-end (image coords)."""
    ys, xs = np.mgrid[0:height, 0:width] + 0.5
    (x0, y0), (x1, y1) = start, end
    dx, dy = x1 - x0, y1 - y0
    t = np.clip(((xs - x0) * dx + (ys - y0) * dy) / max(dx * dx + dy * dy, 1e-9), 0, 1)
    return (xs - x0 - t * dx) ** 2 + (ys - y0 - t * dy) ** 2 <= radius**2


def _polygon(height: int, width: int, vertices) -> np.ndarray:
    image = Image.new("L", (width, height))
    ImageDraw.Draw(image).polygon([tuple(v) for v in vertices], fill=1)
    return np.asarray(image).astype(bool)


def _to_screen(box: dict, w: int, h: int, x: float, y: float) -> tuple[int, int]:
    """Where image point (x, y) is on the page (rounded to a CSS pixel)."""
    return round(box["x"] + x * box["width"] / w), round(box["y"] + y * box["height"] / h)


def _to_image(box: dict, w: int, h: int, point: tuple[int, int]) -> tuple[float, float]:
    """The image point under page point ``point`` (as the editor maps it)."""
    return (point[0] - box["x"]) * w / box["width"], (point[1] - box["y"]) * h / box["height"]


def _within_border(stored: np.ndarray, expected: np.ndarray) -> tuple[int, int]:
    """(pixels outside the grown expected mask, pixels missing inside the shrunk one)."""
    grown = ndimage.binary_dilation(expected, iterations=TOLERANCE)
    shrunk = ndimage.binary_erosion(expected, iterations=TOLERANCE)
    return int((stored & ~grown).sum()), int((shrunk & ~stored).sum())


def test_strokes_and_polygons_land_on_the_pixels_drawn(shapes_store, tmp_path, free_port):
    playwright_api = pytest.importorskip("playwright.sync_api")
    store = shapes_store
    app = build_app(store, "alice", tmp_path / "display")
    url = launch_app(app, "127.0.0.1", free_port, {}, tmp_path / "display")
    checked = []
    try:
        with playwright_api.sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 2200})
            page.goto(url)
            page.wait_for_function(f"{SAMPLE_ID_JS} !== ''", timeout=120000)
            page.get_by_text("Edit masks").click()
            for _ in SIZES:
                sample_id = page.evaluate(SAMPLE_ID_JS)
                sample = store.candidate(sample_id, with_image=False)
                h, w = sample.height, sample.width
                page.locator("#load-editor").click()
                page.wait_for_selector("#mask-editor .pb-ed[data-loaded]", timeout=120000)
                guide = page.locator("#mask-editor .pb-guide")
                guide.scroll_into_view_if_needed()
                box = guide.bounding_box()

                to_screen = functools.partial(_to_screen, box, w, h)
                to_image = functools.partial(_to_image, box, w, h)
                radius = max(3, w // 100)
                page.locator("#mask-editor .pb-size").fill(str(radius))
                start, end = to_screen(0.3 * w, 0.6 * h), to_screen(0.7 * w, 0.35 * h)
                page.mouse.move(*start)
                page.mouse.down()
                page.mouse.move(*end, steps=12)
                page.mouse.up()
                expected = decode(sample.prompts[0]["mask"]).astype(bool)
                expected |= _capsule(h, w, to_image(start), to_image(end), radius)
                if w == SIZES[0][0] and h == SIZES[0][1]:
                    page.locator("#mask-editor input[value=polygon]").check()
                    corners = [(0.6, 0.7), (0.9, 0.75), (0.8, 0.95), (0.55, 0.9)]
                    clicks = [to_screen(fx * w, fy * h) for fx, fy in corners]
                    for point in clicks:
                        page.mouse.click(*point)
                    page.locator("#mask-editor .pb-close").click()
                    expected |= _polygon(h, w, [to_image(p) for p in clicks])
                page.locator("#mask-editor .pb-apply").click()
                page.wait_for_function(
                    "document.querySelector('#message').innerText"
                    ".includes('<region1> replaced by')",
                    timeout=120000,
                )
                page.locator("#edit-btn").click()
                page.wait_for_function(f"{SAMPLE_ID_JS} !== {sample_id!r}", timeout=120000)
                entry = store.decisions(sample_id)[-1]
                assert entry.decision == "edit_accept"
                stored = decode(entry.after["prompts"][0]["mask"]).astype(bool)
                checked.append((w, h, _within_border(stored, expected)))
            browser.close()
    finally:
        app.close()
    assert sorted(checked) == sorted((w, h, (0, 0)) for w, h in SIZES)


def test_editor_zoom_pan_undo_and_brush_ring_over_the_page(shapes_store, tmp_path, free_port):
    """The editor opens in view (fixed over the page); zoomed in, a stroke still lands on the
    image pixels under the pointer; Undo stroke takes the last stroke back; a ring shows the
    brush under the pointer."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    store = shapes_store
    app = build_app(store, "alice", tmp_path / "display")
    url = launch_app(app, "127.0.0.1", free_port, {}, tmp_path / "display")
    try:
        with playwright_api.sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto(url)
            page.wait_for_function(f"{SAMPLE_ID_JS} !== ''", timeout=30000)
            sample = store.candidate(page.evaluate(SAMPLE_ID_JS), with_image=False)
            h, w = sample.height, sample.width
            page.get_by_text("Edit masks").click()
            page.locator("#load-editor").click()
            page.wait_for_selector("#mask-editor .pb-ed[data-loaded]", timeout=30000)
            guide = page.locator("#mask-editor .pb-guide")
            first = guide.bounding_box()
            assert first["y"] >= 0 and first["y"] + first["height"] <= 768  # in view
            page.mouse.move(first["x"] + first["width"] / 2, first["y"] + first["height"] / 2)
            for _ in range(3):
                page.mouse.wheel(0, -100)
            page.wait_for_function(
                "Number(document.querySelector('#mask-editor .pb-ed').dataset.zoom) > 1.5"
            )
            box = guide.bounding_box()
            assert box["width"] > 1.5 * first["width"]
            ring = "(c) => c.getContext('2d').getImageData(0, 0, c.width, c.height).data"
            radius = 4
            page.locator("#mask-editor .pb-size").fill(str(radius))
            to_screen = functools.partial(_to_screen, box, w, h)
            to_image = functools.partial(_to_image, box, w, h)
            start, end = to_screen(0.45 * w, 0.45 * h), to_screen(0.55 * w, 0.5 * h)
            page.mouse.move(*start)
            drawn = page.evaluate(f"(c) => ({ring})(c).some((v, i) => i % 4 === 3 && v > 0)",
                                  guide.element_handle())  # fmt: skip
            assert drawn  # the brush ring under the pointer
            page.mouse.down()
            page.mouse.move(*end, steps=8)
            page.mouse.up()
            # a second stroke, then undone
            page.mouse.move(*to_screen(0.5 * w, 0.56 * h))
            page.mouse.down()
            page.mouse.move(*to_screen(0.52 * w, 0.58 * h), steps=4)
            page.mouse.up()
            page.locator("#mask-editor .pb-undo").click()
            page.locator("#mask-editor .pb-apply").click()
            page.wait_for_function(
                "document.querySelector('#message').innerText.includes('replaced by')",
                timeout=30000,
            )
            page.locator("#edit-btn").click()
            page.wait_for_function(f"{SAMPLE_ID_JS} !== {sample.id!r}", timeout=30000)
            browser.close()
    finally:
        app.close()
    stored = decode(store.decisions(sample.id)[-1].after["prompts"][0]["mask"]).astype(bool)
    expected = decode(sample.prompts[0]["mask"]).astype(bool)
    expected |= _capsule(h, w, to_image(start), to_image(end), radius)
    assert _within_border(stored, expected) == (0, 0)
