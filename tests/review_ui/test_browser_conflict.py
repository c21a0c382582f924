"""Two reviewers and an adjudicator in Debian's chromium: an edit, then a plain accept of the
draft, is a conflict; the adjudicator sees both versions and settles with one (its hash logged).
Names and texts holding HTML render as text."""

from __future__ import annotations

import os

import pytest

from perbench.review_log import payload_version
from perbench.sources import ImgvizReader
from perbench.store import CandidateStore
from review_ui.app import build_app, launch_app
from tests.review_ui.chromium import CHROMIUM, CHROMIUM_ARGS, SAMPLE_ID_JS
from tests.review_ui.conftest import draft_samples

EVIL = "<img src=x onerror=window.pwned=1>"
ALICE = f"alice{EVIL}"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason=f"needs Debian's chromium at {CHROMIUM}"
    ),
]


def _log_in(browser, url: str, name: str, shows_sample: bool = True):
    page = browser.new_context(viewport={"width": 1400, "height": 1800}).new_page()
    page.goto(url)
    page.wait_for_selector("input[type=password]", timeout=30000)
    page.locator("input").nth(0).fill(name)
    page.locator("input[type=password]").fill("pw")
    page.get_by_role("button", name="Login").click()
    page.wait_for_selector("#status-filter", timeout=30000)
    if shows_sample:
        page.wait_for_function(f"{SAMPLE_ID_JS} !== ''", timeout=30000)
    else:  # the first screen has been drawn: nothing in the reviewer's own queue
        page.wait_for_function(
            "document.body.innerText.includes('Nothing to review under these filters')",
            timeout=30000,
        )
    return page


def _message_has(page, text: str) -> None:
    page.wait_for_function(
        "(text) => document.querySelector('#message').innerText.includes(text)",
        arg=text,
        timeout=30000,
    )


def _pick(page, dropdown: str, option: str) -> None:
    page.locator(f"{dropdown} input").click()
    page.get_by_role("option", name=option).click()


def test_edit_then_draft_accept_is_a_conflict_the_adjudicator_settles(tmp_path, free_port):
    playwright_api = pytest.importorskip("playwright.sync_api")
    store = CandidateStore(tmp_path / "one.sqlite", create=True)
    image = next(iter(ImgvizReader(("voc",))))
    store.add_candidates([s for s in draft_samples(image, 1) if s.task == "mcq"])
    store.set_info(required_accepts=2)  # two reviewers see every sample
    sample = next(store.candidates())
    users = {ALICE: "pw", "bob": "pw", "carol": "pw"}
    app = build_app(store, "nobody", tmp_path / "display", adjudicators=["carol"])
    url = launch_app(app, "127.0.0.1", free_port, users, tmp_path / "display")
    try:
        with playwright_api.sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            alice = _log_in(browser, url, ALICE)
            alice.get_by_text("Edit the text").click()
            question = alice.get_by_role("textbox", name="Question")
            question.fill(f"{sample.question} {EVIL}")
            alice.locator("#answer input[value=B]").check()
            alice.locator("#edit-btn").click()
            _message_has(alice, "Recorded: edit_accept")

            bob = _log_in(browser, url, "bob")
            bob.locator("#accept-btn").click()
            _message_has(bob, "different versions")
            _pick(bob, "#status-filter", "conflict")  # not an adjudicator: no settle controls
            bob.wait_for_selector("#versions .pb-version", timeout=30000)
            assert not bob.locator("#settle-btn").is_visible()
            assert not bob.locator("#version-pick").is_visible()
            assert store.state(sample.id).status == "conflict"

            carol = _log_in(browser, url, "carol", shows_sample=False)
            _pick(carol, "#status-filter", "conflict")
            carol.wait_for_selector("#versions .pb-version", timeout=30000)
            assert carol.locator("#settle-btn").is_visible()
            columns = carol.locator("#versions .pb-version").all_inner_texts()
            assert len(columns) == 2
            edited = next(text for text in columns if "alice" in text)
            assert EVIL in edited and "answer changed" in edited  # shown as text
            assert carol.locator("#versions .pb-ins").count() >= 1
            assert "vs" in carol.locator("#versions .pb-ious").inner_text()
            assert EVIL in carol.locator("body").inner_text()  # the header's names
            alice_version = store.decisions(sample.id)[0].version
            # side by side, the diff coloured (ADJUDICATION_CSS reaches the page), the draft
            # marked and every version named by who accepted it
            left, right = carol.locator("#versions .pb-version").all()[:2]
            left_box, right_box = left.bounding_box(), right.bounding_box()
            assert abs(left_box["y"] - right_box["y"]) < 2 and right_box["x"] > left_box["x"]
            assert right_box["x"] >= left_box["x"] + left_box["width"]
            inserted = carol.locator("#versions .pb-ins").first
            colour = inserted.evaluate("(el) => getComputedStyle(el).backgroundColor")
            assert colour == "rgb(200, 247, 197)"
            draft_column = next(text for text in columns if "bob: the draft" in text)
            assert "The builder's draft, unchanged" in draft_column
            assert f"{ALICE}'s edit" in edited
            _pick(carol, "#version-pick", f"{ALICE}'s edit · {alice_version[:10]}")
            carol.locator("#settle-btn").click()
            _message_has(carol, "Recorded: resolve_accept")
            pages = (alice, bob, carol)
            assert [p.evaluate("window.pwned === undefined") for p in pages] == [True] * 3
            browser.close()
    finally:
        app.close()
    entry = store.decisions(sample.id)[-1]
    assert entry.decision == "resolve_accept" and entry.reviewer == "carol"
    assert entry.version == alice_version
    final = sample.copy_with(answer=1, question=f"{sample.question} {EVIL}")
    assert alice_version == payload_version(final.to_dict())
    state = store.state(sample.id)
    assert state.status == "accepted" and state.edits["answer"] == 1
    assert "<img" not in store.decisions(sample.id)[1].reviewer  # bob
