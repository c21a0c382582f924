"""A page left open across a server restart is told to reload (and to log in again when login
is on: Gradio forgets its login tokens on restart), in gradio_client and in Debian's chromium."""

from __future__ import annotations

import inspect
import os

import gradio as gr
import pytest
from gradio_client import Client

from review_ui.app import build_app, launch_app
from review_ui.guard import RESTARTED, RESTARTED_LOGIN, guard
from tests.review_ui.chromium import (
    CHROMIUM,
    SAMPLE_ID_JS,
    log_in,
    open_review_page,
    wait_for_new_sample,
)

SAMPLE, MESSAGE = 1, 8


def test_a_stale_page_is_told_to_reload_and_nothing_is_recorded(store, tmp_path, free_port):
    display = tmp_path / "display"
    first = build_app(store, "alice", display)
    url = launch_app(first, "127.0.0.1", free_port, {}, display)
    client = Client(url, verbose=False)
    shown = client.predict(api_name="/show")[SAMPLE]
    first.close()
    second = build_app(store, "alice", display)  # the restarted server: a new token
    launch_app(second, "127.0.0.1", free_port, {}, display)
    try:
        page = client.predict(shown, api_name="/accept")
        assert page[MESSAGE] == RESTARTED
        assert store.decisions() == []
        with pytest.raises(Exception, match="server restarted"):
            client.predict(api_name="/agreement")
        fresh = Client(url, verbose=False)  # a reloaded page works again
        page = fresh.predict(fresh.predict(api_name="/show")[SAMPLE], api_name="/accept")
        assert "Recorded: accept" in page[MESSAGE]
        assert [d.sample_id for d in store.decisions()] == [shown]
    finally:
        second.close()


def test_guard_passes_the_token_between_inputs_and_injected_parameters():
    message, other = gr.Markdown(), gr.Textbox()

    def handler(sample_id: str, state: dict, request: gr.Request) -> tuple:
        return sample_id, request

    run = guard("t0", [other, message], message)(handler)
    assert list(inspect.signature(run).parameters) == ["sample_id", "state", "boot", "request"]
    assert run("s1", {}, "t0", "req") == ("s1", "req")
    stale = run("s1", {}, "old", "req")
    assert stale[1] == RESTARTED and stale[0] != "s1"


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"needs Debian's chromium at {CHROMIUM}")
def test_a_stale_page_with_login_says_reload_and_log_in_again(store, tmp_path, free_port):
    playwright_api = pytest.importorskip("playwright.sync_api")
    display, users = tmp_path / "display", {"alice": "alice-pw"}
    first = build_app(store, "nobody", display)
    url = launch_app(first, "127.0.0.1", free_port, users, display)
    second = None
    try:
        with playwright_api.sync_playwright() as driver:
            browser, page = open_review_page(driver, url, ("alice", "alice-pw"))
            decided = page.evaluate(SAMPLE_ID_JS)
            page.keyboard.press("a")
            shown = wait_for_new_sample(page, decided)
            first.close()
            second = build_app(store, "nobody", display)  # the restarted server
            launch_app(second, "127.0.0.1", free_port, users, display)
            banner = page.locator("#stale-page")
            for keys in (["a"], ["2", "r"]):  # an unqueued event, then a queued one
                page.evaluate("document.getElementById('stale-page')?.remove()")
                for key in keys:
                    page.keyboard.press(key)
                banner.wait_for(timeout=120000)
                assert banner.inner_text() == RESTARTED_LOGIN.replace("**", "")
            assert page.evaluate(SAMPLE_ID_JS) == shown
            assert [d.sample_id for d in store.decisions()] == [decided]
            page.reload()  # as the banner says: reload and log in again
            log_in(page, "alice", "alice-pw")
            assert page.evaluate(SAMPLE_ID_JS) == shown and banner.count() == 0
            page.keyboard.press("a")
            wait_for_new_sample(page, shown)
            browser.close()
    finally:
        (second or first).close()
    assert [(d.sample_id, d.decision) for d in store.decisions()] == [
        (decided, "accept"),
        (shown, "accept"),
    ]
