"""Debian's chromium: the sample image comes by a cacheable URL, the next one is fetched ahead."""

from __future__ import annotations

import os
import time

import pytest

from review_ui.app import build_app, launch_app
from tests.review_ui.chromium import CHROMIUM, CHROMIUM_ARGS, SAMPLE_ID_JS, keys_act

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason=f"needs Debian's chromium at {CHROMIUM}"
    ),
]
SHOWN_JS = "document.querySelector('#sample-image img.pb-sample')?.src ?? ''"
AHEAD_JS = "[...document.querySelectorAll('#sample-image .pb-prefetch img')].map((i) => i.src)"
AHEAD_ASKED_JS = f"({AHEAD_JS}).length > 0 && ({AHEAD_JS}).every((s) => s !== '')"
LOADED_JS = "(src) => { const i = document.querySelector('#sample-image img.pb-sample');"
LOADED_JS += " return i && i.src === src && i.complete && i.naturalWidth > 0; }"


def test_next_image_is_fetched_before_the_key_from_a_cacheable_url(store, tmp_path, free_port):
    playwright_api = pytest.importorskip("playwright.sync_api")
    app = build_app(store, "nobody", tmp_path / "display")
    url = launch_app(app, "127.0.0.1", free_port, {"alice": "alice-pw"}, tmp_path / "display")
    answered: dict[str, tuple[float, dict[str, str]]] = {}  # image URL -> (time, headers)
    try:
        with playwright_api.sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.request.post(f"{url}login", form={"username": "alice", "password": "alice-pw"})
            page = context.new_page()
            page.on(
                "response",
                lambda r: (
                    "/pb-image/" in r.url
                    and answered.setdefault(r.url, (time.monotonic(), r.headers))
                ),
            )
            page.goto(url)
            page.wait_for_function(f"{SAMPLE_ID_JS} !== ''", timeout=30000)
            first = page.evaluate(SAMPLE_ID_JS)
            page.wait_for_function(AHEAD_ASKED_JS, timeout=30000)  # the page fetches it ahead
            ahead = page.evaluate(AHEAD_JS)
            page.wait_for_function(f"({AHEAD_JS}).every((s) => {{"
                "const e = performance.getEntriesByName(s).pop(); return e && e.responseEnd > 0;"
                "})", timeout=30000)  # fmt: skip
            keys_act(page)  # the image has been on screen long enough for a key to act
            pressed = time.monotonic()
            page.keyboard.press("a")
            page.wait_for_function(
                f"{SAMPLE_ID_JS} !== {first!r} && {SAMPLE_ID_JS} !== ''", timeout=20000
            )
            shown = page.evaluate(SHOWN_JS)
            page.wait_for_function(LOADED_JS, arg=shown, timeout=20000)
            browser.close()
    finally:
        app.close()
    assert shown == ahead[0]  # the image shown after the key is the one fetched ahead ...
    fetched_at, headers = answered[shown]
    assert fetched_at < pressed  # ... before the key was pressed
    assert headers["cache-control"] == "private, max-age=31536000, immutable"
    assert headers["content-type"] == "image/jpeg"
