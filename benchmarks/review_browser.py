"""Review app in a real browser: keypress -> the next sample's image visible.

API:
  browser_bench(store, display_dir, reviewers, steps) -> dict
      serves the app (login, one account per reviewer) on a free loopback port, opens one
      headless chromium page per reviewer (Debian's chromium, Playwright), and has every
      reviewer press A ``steps`` times at once. Returns p50/p95 in ms of "key -> image"
      (keydown dispatched in the page until the new ``#sample-image img`` is loaded and a
      frame is drawn), of "server" (the handler's own time, ReviewController.decide: the
      log write, queue refresh and next sample's preparation), of "asked" (key -> the page
      requests the new image: server, queue round trip and redraw) and of "download" (the
      image request itself, Resource Timing; -1 when none was seen).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from playwright.async_api import async_playwright

from perbench.store import CandidateStore
from review_ui.app import build_app, launch_app
from review_ui.controller import ReviewController

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: only benchmarks/ is on sys.path
    sys.path.insert(0, str(ROOT))
from tests.review_ui.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402  (one definition)

PRESS_AND_WAIT_JS = """
async (previous) => {
  const start = performance.now();
  document.dispatchEvent(new KeyboardEvent("keydown", { key: "a", bubbles: true }));
  while (performance.now() - start < 15000) {
    const img = document.querySelector("#sample-image img");
    if (img && img.src && img.src !== previous && img.complete && img.naturalWidth > 0) {
      await new Promise((done) => requestAnimationFrame(() => done()));
      const fetched = performance.getEntriesByName(img.src).pop();
      const asked = fetched ? fetched.startTime - start : -1;
      return [performance.now() - start, img.src, asked, fetched ? fetched.duration : -1];
    }
    await new Promise((done) => requestAnimationFrame(() => done()));
  }
  return [-1, previous, -1, -1];
}
"""
FIRST_IMAGE_JS = "document.querySelector('#sample-image img')?.naturalWidth > 0"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _percentiles(values: list[float]) -> tuple[float, float]:
    return float(np.percentile(values, 50)), float(np.percentile(values, 95))


async def _reviewer(
    browser: Any, url: str, name: str, steps: int, out: dict[str, list[float]]
) -> None:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    await context.request.post(f"{url}login", form={"username": name, "password": "pw"})
    page = await context.new_page()
    await page.goto(url)
    await page.wait_for_function(FIRST_IMAGE_JS, timeout=60000)
    src = await page.evaluate("document.querySelector('#sample-image img').src")
    for _ in range(steps):
        elapsed, src, asked, download = await page.evaluate(PRESS_AND_WAIT_JS, src)
        if elapsed < 0:
            raise RuntimeError(f"{name}: no new image within 15 s of the key")
        out["key"].append(elapsed)
        if asked >= 0:
            out["asked"].append(asked)
            out["download"].append(download)
    await context.close()


async def _drive(url: str, names: list[str], steps: int) -> dict[str, list[float]]:
    if not os.path.exists(CHROMIUM):
        raise RuntimeError(f"the browser benchmark needs Debian's chromium at {CHROMIUM}")
    times: dict[str, list[float]] = {"key": [], "asked": [], "download": []}
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        await asyncio.gather(*(_reviewer(browser, url, n, steps, times) for n in names))
        await browser.close()
    return times


def browser_bench(
    store: CandidateStore, display_dir: Path, reviewers: int, steps: int
) -> dict[str, float]:
    """The figures described in the module docstring."""
    server: list[float] = []
    decide = ReviewController.decide

    def timed(self: ReviewController, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return decide(self, *args, **kwargs)
        finally:
            server.append((time.perf_counter() - start) * 1000)

    names = [f"r{n}" for n in range(1, reviewers + 1)]
    ReviewController.decide = timed  # type: ignore[method-assign]
    app = build_app(store, "nobody", display_dir)
    try:
        url = launch_app(app, "127.0.0.1", _free_port(), {n: "pw" for n in names}, display_dir)
        times = asyncio.run(_drive(url, names, steps))
    finally:
        app.close()
        ReviewController.decide = decide  # type: ignore[method-assign]
    row = {"server_p50": _percentiles(server)[0], "server_p95": _percentiles(server)[1]}
    for part, values in times.items():
        row[f"{part}_p50"], row[f"{part}_p95"] = _percentiles(values) if values else (-1, -1)
    return row
