"""Review app in a real browser: keypress -> the next sample's image visible.

API:
  browser_bench(store, display_dir, reviewers, steps, read_ms=0) -> dict
      serves the app (login, one account per reviewer) on a free loopback port, opens one
      headless chromium page per reviewer (Debian's chromium, Playwright), and has every
      reviewer press A ``steps`` times at once, each ``read_ms`` after its image showed (the
      reviewer reading; the page prefetches meanwhile). Returns p50/p95 in ms of "key -> image"
      (keydown dispatched in the page until the next sample's id is shown, its
      ``#sample-image img`` is loaded and a frame is drawn; two samples may share a picture,
      and so its URL), of "server" (the handler's own time, ReviewController.decide: the
      log write, queue refresh and next sample's preparation), of "answered" (key -> the
      event's answer fully received: server and round trip; the rest of key -> image is the
      page's redraw and the image), of "asked" and "download" (key -> the page requests the
      image, and that request, Resource Timing) over the keys whose image was not fetched
      ahead, and "prefetched": the share of keys whose image was requested before the key
      (-1 for a figure with no value). Each key waits until the page lets it act (the image
      on screen review_ui.key_gate's delay); the time counts from the key.
  screens_bench(store, display_dir, steps) -> dict
      the new screens' events on samples with a ``needs`` entry, one reviewer at 1366x768:
      p50/p95 ms of key -> statement marked (number key), A -> "Not recorded" (the need not yet
      answered), N -> answered box ticked, A after N -> next image, Y -> next image (reject).
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
from review_ui.key_gate import DEFAULT_KEY_DELAY_MS

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: only benchmarks/ is on sys.path
    sys.path.insert(0, str(ROOT))
from tests.review_ui.chromium import CHROMIUM, CHROMIUM_ARGS, SAMPLE_ID_JS  # noqa: E402

PRESS_AND_WAIT_JS = """
async (previous) => {
  const sampleId = () => __SAMPLE_ID__;
  // the reviewer has looked long enough for a key to act (review_ui.key_gate; absent before it)
  while (window.pbKeyGate && window.pbKeyGate.onScreenMs() < __DELAY__) {
    await new Promise((done) => requestAnimationFrame(() => done()));
  }
  const start = performance.now();
  document.dispatchEvent(new KeyboardEvent("keydown", { key: "a", bubbles: true }));
  while (performance.now() - start < 15000) {
    const img = document.querySelector("#sample-image img");
    const now = sampleId();
    if (now && now !== previous && img && img.complete && img.naturalWidth > 0) {
      await new Promise((done) => requestAnimationFrame(() => done()));
      const fetched = performance.getEntriesByName(img.src).pop();
      const asked = fetched ? fetched.startTime - start : null;
      const calls = performance.getEntriesByType("resource").filter(
        (e) => e.name.includes("/gradio_api/") && e.startTime >= start);
      const answered = calls.length ? calls[calls.length - 1].responseEnd - start : null;
      return [performance.now() - start, now, asked, fetched ? fetched.duration : null,
              answered];
    }
    await new Promise((done) => requestAnimationFrame(() => done()));
  }
  return [-1, previous, null, null, null];
}
""".replace("__SAMPLE_ID__", SAMPLE_ID_JS).replace("__DELAY__", str(DEFAULT_KEY_DELAY_MS))
SCREEN_EVENT_JS = """
async ([key, until, previous]) => {
  const sampleId = () => __SAMPLE_ID__;
  const frame = () => new Promise((done) => requestAnimationFrame(() => done()));
  while (window.pbKeyGate.onScreenMs() < __DELAY__) await frame();
  const message = () => document.querySelector("#message")?.innerText ?? "";
  const before = message();
  const done = {
    image: () => {
      const img = document.querySelector("#sample-image img.pb-sample");
      const now = sampleId();
      return now && now !== previous && img && img.complete && img.naturalWidth > 0;
    },
    refused: () => message() !== before && message().includes("Not recorded"),
    confirmed: () => document.querySelector("#needs-ok input[type=checkbox]")?.checked,
    marked: () => document.querySelector("#false-sentences input[type=checkbox]")?.checked,
  }[until];
  const start = performance.now();
  document.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
  while (performance.now() - start < 15000) {
    if (done()) { await frame(); return [performance.now() - start, sampleId()]; }
    await frame();
  }
  return [-1, sampleId()];
}
""".replace("__SAMPLE_ID__", SAMPLE_ID_JS).replace("__DELAY__", str(DEFAULT_KEY_DELAY_MS))
# per task: the keys a reviewer presses on a sample with one need, and what each waits for
SCREEN_STEPS = {
    "description": [("1", "marked", "mark"), ("1", "unmarked", None), ("a", "refused", "refused"),
                    ("n", "confirmed", "confirm"), ("a", "image", "accept after N")],
    "mcq": [("a", "refused", "refused"), ("y", "image", "Y: reject -> image")],
    "vt_res": [("n", "confirmed", "confirm"), ("a", "image", "accept after N")],
}  # fmt: skip
FIRST_IMAGE_JS = "document.querySelector('#sample-image img')?.naturalWidth > 0"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _percentiles(values: list[float]) -> tuple[float, float]:
    return float(np.percentile(values, 50)), float(np.percentile(values, 95))


async def _reviewer(
    browser: Any, url: str, name: str, steps: int, read_ms: int, out: dict[str, list[float]]
) -> None:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    await context.request.post(f"{url}login", form={"username": name, "password": "pw"})
    page = await context.new_page()
    await page.goto(url)
    await page.wait_for_function(FIRST_IMAGE_JS, timeout=60000)
    shown = await page.evaluate(SAMPLE_ID_JS)
    for _ in range(steps):
        await page.wait_for_timeout(read_ms)
        elapsed, shown, asked, download, answered = await page.evaluate(PRESS_AND_WAIT_JS, shown)
        if elapsed < 0:
            raise RuntimeError(f"{name}: no new image within 15 s of the key")
        out["key"].append(elapsed)
        out["prefetched"].append(100.0 * (asked is not None and asked < 0))
        if answered is not None:
            out["answered"].append(answered)
        if asked is not None and asked >= 0:
            out["asked"].append(asked)
            out["download"].append(download)
    await context.close()


async def _drive(url: str, names: list[str], steps: int, read_ms: int) -> dict[str, list[float]]:
    if not os.path.exists(CHROMIUM):
        raise RuntimeError(f"the browser benchmark needs Debian's chromium at {CHROMIUM}")
    parts = ("key", "answered", "asked", "download", "prefetched")
    times: dict[str, list[float]] = {part: [] for part in parts}
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        await asyncio.gather(*(_reviewer(browser, url, n, steps, read_ms, times) for n in names))
        await browser.close()
    return times


def browser_bench(
    store: CandidateStore, display_dir: Path, reviewers: int, steps: int, read_ms: int = 0
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
        times = asyncio.run(_drive(url, names, steps, read_ms))
    finally:
        app.close()
        ReviewController.decide = decide  # type: ignore[method-assign]
    row = {"server_p50": _percentiles(server)[0], "server_p95": _percentiles(server)[1]}
    for part, values in times.items():
        row[f"{part}_p50"], row[f"{part}_p95"] = _percentiles(values) if values else (-1, -1)
    row["prefetched"] = float(np.mean(times["prefetched"]))
    return row


async def _screens(url: str, steps: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1366, "height": 768})
        await page.goto(url)
        await page.wait_for_function(FIRST_IMAGE_JS, timeout=60000)
        for _ in range(steps):
            shown = await page.evaluate(SAMPLE_ID_JS)
            task = shown.split("-", 1)[0]
            for key, until, label in SCREEN_STEPS[task]:
                if until == "unmarked":  # put the mark back: an untimed key
                    await page.keyboard.press(key)
                    await page.wait_for_function(
                        "!document.querySelector('#false-sentences input').checked"
                    )
                    continue
                elapsed, _ = await page.evaluate(SCREEN_EVENT_JS, [key, until, shown])
                if elapsed < 0:
                    raise RuntimeError(f"{shown}: key {key!r} did not lead to {until!r} in 15 s")
                times.setdefault(f"{task}: {label}", []).append(elapsed)
        await browser.close()
    return times


def screens_bench(store: CandidateStore, display_dir: Path, steps: int) -> dict[str, float]:
    """p50/p95 (ms) of the review screens' events on samples that each carry one need, one
    reviewer at 1366x768 (SCREEN_STEPS: mark a statement, an accept refused, N, Y, A)."""
    app = build_app(store, "bench", display_dir)
    try:
        url = launch_app(app, "127.0.0.1", _free_port(), {}, display_dir)
        times = asyncio.run(_screens(url, steps))
    finally:
        app.close()
    row = {}
    for label, values in times.items():
        row[f"{label} p50"], row[f"{label} p95"] = _percentiles(values)
    return row
