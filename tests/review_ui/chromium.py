"""Debian's chromium as the browser tests and benchmarks/review_browser.py launch it (never a
downloaded browser), and the review page's helpers shared by the browser tests.

API:
  CHROMIUM, CHROMIUM_ARGS    launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
  SAMPLE_ID_JS               JavaScript expression: the sample id the page shows ('' before one)
  open_review_page(driver, url, login=None, height=1000) -> (browser, page)
      headless chromium on the review app, logged in when ``login`` is (name, password), once
      the first sample shows; the caller closes the browser
  log_in(page, name, password)                fill the login form on ``page``; wait for a sample
  wait_for_new_sample(page, previous) -> str  wait until the page shows another sample and
                                              its keys act (keys_act); its id
  keys_act(page)   wait until the shown sample's image has been drawn long enough for a key to
                   act on it (review_ui.key_gate)
"""

from __future__ import annotations

from typing import Any

from review_ui.key_gate import DEFAULT_KEY_DELAY_MS

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags chromium's own connections are refused on this
# machine's closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SAMPLE_ID_JS = "(document.querySelector('#sample-id textarea, #sample-id input')?.value ?? '')"


def open_review_page(
    driver: Any, url: str, login: tuple[str, str] | None = None, height: int = 1000
) -> tuple[Any, Any]:
    browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1400, "height": height})
    page.goto(url)
    if login:
        log_in(page, *login)
    else:
        page.wait_for_function(f"{SAMPLE_ID_JS} !== ''", timeout=120000)
        keys_act(page)
    return browser, page


def log_in(page: Any, name: str, password: str) -> None:
    """Log in through Gradio's login form (already loaded in ``page``); wait for a sample whose
    keys act (the key gate lets a key act only once the image has been on screen a while)."""
    page.wait_for_selector("input[type=password]", timeout=120000)
    page.locator("input").nth(0).fill(name)
    page.locator("input[type=password]").fill(password)
    page.get_by_role("button", name="Login").click()
    page.wait_for_selector("#accept-btn", timeout=120000)
    page.wait_for_function(f"{SAMPLE_ID_JS} !== ''", timeout=120000)
    keys_act(page)


def wait_for_new_sample(page: Any, previous: str) -> str:
    page.wait_for_function(
        f"{SAMPLE_ID_JS} !== {previous!r} && {SAMPLE_ID_JS} !== ''", timeout=120000
    )
    keys_act(page)
    return page.evaluate(SAMPLE_ID_JS)


def keys_act(page: Any) -> None:
    page.wait_for_function(
        f"window.pbKeyGate && window.pbKeyGate.onScreenMs() >= {DEFAULT_KEY_DELAY_MS}",
        timeout=120000,
    )
