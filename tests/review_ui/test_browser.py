"""Debian's chromium, driven by playwright: log in, review with the keys, check the overlay,
toggle it with O, see the builder's flags."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from perbench.masks import decode
from perbench.render import PROMPT_COLORS
from review_ui.app import build_app, launch_app
from tests.review_ui.chromium import (
    CHROMIUM,
    SAMPLE_ID_JS,
    open_review_page,
    wait_for_new_sample,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason=f"needs Debian's chromium at {CHROMIUM}"
    ),
]


def _shown_region(screenshot: np.ndarray, box: dict, natural: tuple[int, int]) -> np.ndarray:
    """The image as displayed (object-fit: contain inside the <img> box), cut from the page."""
    width, height = natural
    scale = min(box["width"] / width, box["height"] / height)
    left = box["x"] + (box["width"] - width * scale) / 2
    top = box["y"] + (box["height"] - height * scale) / 2
    shown_w, shown_h = round(width * scale), round(height * scale)
    return screenshot[round(top) : round(top) + shown_h, round(left) : round(left) + shown_w]


def test_keys_decide_and_the_overlay_is_on_screen(store, tmp_path, free_port):
    playwright_api = pytest.importorskip("playwright.sync_api")
    app = build_app(store, "nobody", tmp_path / "display")
    url = launch_app(app, "127.0.0.1", free_port, {"alice": "alice-pw"}, tmp_path / "display")
    try:
        with playwright_api.sync_playwright() as driver:
            browser, page = open_review_page(driver, url, ("alice", "alice-pw"))
            first = page.evaluate(SAMPLE_ID_JS)
            assert page.locator("#accept-btn").inner_text().strip() == "Accept [A]"

            page.locator("#sample-id").click()  # focus off any text box
            page.keyboard.press("a")
            second = wait_for_new_sample(page, first)
            page.locator("#message").click()
            page.keyboard.press("1")  # a description: statement 1 marked false
            page.keyboard.press("r")
            third = wait_for_new_sample(page, second)
            # typing in a text box never triggers a decision
            page.get_by_label("Note (free text)").click()
            page.keyboard.type("a r s u e 1")
            page.wait_for_timeout(500)
            log = [(d.reviewer, d.decision, d.sample_id, d.reason) for d in store.decisions()]
            assert log == [
                ("alice", "accept", first, None),
                ("alice", "reject", second, '[{"code":"false-statement","sentence":0}]'),
            ]

            image = page.locator("img[src*='view-']").first
            image.wait_for(timeout=120000)
            page.wait_for_function(
                "(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle()
            )
            image.scroll_into_view_if_needed()
            screenshot_path = Path(tmp_path) / "review_page.png"
            page.screenshot(path=str(screenshot_path))
            box = image.bounding_box()
            browser.close()
    finally:
        app.close()
    assert screenshot_path.stat().st_size > 0
    sample = store.candidate(third)
    shown = _shown_region(
        np.asarray(Image.open(screenshot_path).convert("RGB")).astype(int),
        box,
        (sample.width, sample.height),
    )
    mask = decode(sample.prompts[0]["mask"])
    mask = np.asarray(Image.fromarray(mask * 255).resize(shown.shape[1::-1], Image.NEAREST)) > 0
    photo = np.asarray(
        Image.fromarray(store_rgb(store, sample)).resize(shown.shape[1::-1], Image.BILINEAR)
    ).astype(int)
    color = np.array(PROMPT_COLORS[0])
    before = np.abs(photo[mask] - color).sum(axis=1).mean()
    after = np.abs(shown[mask] - color).sum(axis=1).mean()
    outside_change = np.abs(shown[~mask] - photo[~mask]).sum(axis=1).mean()
    assert after < 0.75 * before, (before, after)
    assert outside_change < 0.5 * (before - after)


def store_rgb(store, sample) -> np.ndarray:
    from perbench.render import load_rgb

    return load_rgb(store.image_bytes(sample.image_id))


def test_keys_on_a_fresh_page_ctrl_enter_and_zoom(store, tmp_path, free_port):
    """No click before the first key; Ctrl+Enter commits from inside the question box; the
    wheel and + / - / 0 zoom the sample image."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    app = build_app(store, "alice", tmp_path / "display")
    url = launch_app(app, "127.0.0.1", free_port, {}, tmp_path / "display")
    zoom_js = "Number(document.querySelector('#sample-image img')?.dataset.zoom || 1)"
    try:
        with playwright_api.sync_playwright() as driver:
            browser, page = open_review_page(driver, url)
            first = page.evaluate(SAMPLE_ID_JS)
            page.keyboard.press("a")
            second = wait_for_new_sample(page, first)

            page.get_by_text("Edit the text").click()
            box = page.get_by_role("textbox", name="Question")
            box.fill("A question the reviewer rewrote <region1>.")
            box.press("Control+Enter")
            third = wait_for_new_sample(page, second)
            entry = store.decisions(second)[-1]
            assert entry.decision == "edit_accept"
            assert entry.after == {"question": "A question the reviewer rewrote <region1>."}

            image = page.locator("#sample-image img").first
            page.wait_for_function(
                "(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle()
            )
            image.scroll_into_view_if_needed()  # the text box was scrolled to
            image_box = image.bounding_box()
            page.mouse.move(
                image_box["x"] + image_box["width"] / 3, image_box["y"] + image_box["height"] / 3
            )
            page.mouse.wheel(0, -200)
            page.wait_for_function(f"{zoom_js} > 1", timeout=120000)
            page.locator("#message").click()  # focus off any text box
            page.keyboard.press("+")
            page.wait_for_function(f"{zoom_js} > 1.5", timeout=120000)
            page.keyboard.press("-")
            page.keyboard.press("-")
            page.wait_for_function(f"{zoom_js} === 1", timeout=120000)
            page.keyboard.press("+")
            page.keyboard.press("0")
            page.wait_for_function(f"{zoom_js} === 1", timeout=120000)
            assert page.evaluate(SAMPLE_ID_JS) == third
            browser.close()
    finally:
        app.close()


def test_jump_to_id_table_and_history_reopen_samples(store, tmp_path, free_port):
    playwright_api = pytest.importorskip("playwright.sync_api")
    app = build_app(store, "alice", tmp_path / "display")
    url = launch_app(app, "127.0.0.1", free_port, {}, tmp_path / "display")
    wanted = store.candidate_ids("vt_res")[-1]
    try:
        with playwright_api.sync_playwright() as driver:
            browser, page = open_review_page(driver, url, height=1400)
            first = page.evaluate(SAMPLE_ID_JS)
            page.keyboard.press("a")
            wait_for_new_sample(page, first)
            page.get_by_text("Find samples").click()
            page.locator("#jump-id textarea, #jump-id input").first.fill(wanted)
            page.locator("#jump-id textarea, #jump-id input").first.press("Enter")
            page.wait_for_function(f"{SAMPLE_ID_JS} === {wanted!r}", timeout=120000)
            page.locator("#tables").click()
            page.locator("#history").get_by_text(first).locator("visible=true").first.click()
            page.wait_for_function(f"{SAMPLE_ID_JS} === {first!r}", timeout=120000)
            assert page.locator("#sample-table").get_by_text(wanted).count() >= 1
            browser.close()
    finally:
        app.close()


SHOWN_IMAGE_JS = """(previous) => {
  const img = document.querySelector("#sample-image img");
  return img !== null && img.complete && img.naturalWidth > 0 && img.src !== previous;
}"""


def _shown_image(page, previous: str | None = None) -> tuple[str, np.ndarray]:
    """The sample image once one other than ``previous`` (a src) is drawn: src, (H, W, 3) int."""
    page.wait_for_function(SHOWN_IMAGE_JS, arg=previous, timeout=120000)
    page.wait_for_timeout(200)  # a frame to paint it
    image = page.locator("#sample-image img").first
    pixels = np.asarray(Image.open(io.BytesIO(image.screenshot())).convert("RGB")).astype(int)
    return image.get_attribute("src"), pixels


def test_key_o_hides_and_shows_the_overlay_and_flags_are_shown(make_store, serve, tmp_path):
    playwright_api = pytest.importorskip("playwright.sync_api")
    flag = "says <b>two</b> chairs but 3 are annotated"
    store = make_store(tmp_path / "flagged.sqlite", per_task=1, meta={"flags": [flag]})
    url = serve(store)
    with playwright_api.sync_playwright() as driver:
        browser, page = open_review_page(driver, url)
        shown = page.evaluate(SAMPLE_ID_JS)
        assert page.get_by_text("contradicts the measured attributes").is_visible()
        assert page.get_by_text(flag).is_visible()  # escaped: the tag is text, not bold
        drawn_src, drawn = _shown_image(page)
        page.keyboard.press("o")
        bare_src, bare = _shown_image(page, drawn_src)
        assert "press O" in page.locator("#message").inner_text()
        page.keyboard.press("o")
        _, again = _shown_image(page, bare_src)
        assert "press O" not in page.locator("#message").inner_text()
        assert page.evaluate(SAMPLE_ID_JS) == shown
        browser.close()
    assert drawn.shape == bare.shape == again.shape
    changed = np.abs(drawn - bare).sum(axis=2) > 60
    assert changed.sum() > 100, changed.sum()  # the overlay was there, then gone
    assert np.abs(drawn - again).sum(axis=2).mean() < 2  # and back as it was
    assert store.decisions() == []
