"""What the reviewer must check, in Debian's chromium: a need's question answered by key (its
reason in the log, under the hash chain), the page at 1366x768 with the text, flags and question
in view, statements marked false by number keys, the one-key rejects, an unsaved painted mask
blocking E and A (B1), a double press accepting one sample only (B2), and login messages that
say what happened (B4)."""

from __future__ import annotations

import os

import pytest

from perbench.needs import decode_reasons
from perbench.sources import ImgvizReader
from perbench.store import CandidateStore
from review_ui.app import build_app, launch_app
from review_ui.key_gate import DEFAULT_KEY_DELAY_MS
from tests.review_ui.chromium import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SAMPLE_ID_JS,
    keys_act,
    open_review_page,
    wait_for_new_sample,
)
from tests.review_ui.conftest import draft_samples

FLAG = "says two bottles but 1 is annotated"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason=f"needs Debian's chromium at {CHROMIUM}"
    ),
]


def _reasons(store, sample_id: str) -> tuple[str, list[dict]]:
    entry = store.decisions(sample_id)[-1]
    return entry.decision, decode_reasons(entry.reason)


def _inside(page, locator, width: int, height: int) -> None:
    box = locator.bounding_box()
    assert box is not None, locator
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= width and box["y"] + box["height"] <= height, box


def _note_has(page, text: str) -> None:
    page.wait_for_function(
        "(text) => (document.querySelector('#key-note')?.innerText ?? '').includes(text)",
        arg=text,
        timeout=20000,
    )


def test_need_answered_by_key_reason_under_the_chain_and_the_layout(make_store, serve, tmp_path):
    playwright_api = pytest.importorskip("playwright.sync_api")
    store = make_store(tmp_path / "needs.sqlite", per_task=1, meta={"flags": [FLAG]}, needs=True)
    url = serve(store)
    with playwright_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(url)
        page.wait_for_function(f"{SAMPLE_ID_JS} !== ''", timeout=30000)
        keys_act(page)
        first = page.evaluate(SAMPLE_ID_JS)
        sample = store.candidate(first, with_image=False)
        question = sample.meta["needs"][0]["question"]
        # what must be read before A is on screen without scrolling, beside the image
        for locator in (
            page.locator("#draft").get_by_text("contradicts the measured attributes"),
            page.locator("#draft").get_by_text(FLAG),
            page.locator("#draft").get_by_text(sample.question),
            page.locator("#needs .pb-question"),
            page.locator("#false-sentences"),
            page.locator("#accept-btn"),
            page.locator("#sample-image img.pb-sample"),
        ):
            _inside(page, locator, 1366, 768)
        assert page.evaluate("window.scrollY") == 0
        needs_text = page.locator("#needs").inner_text()
        assert "1 annotated" in needs_text and question in needs_text

        page.keyboard.press("a")  # refused: the question is not answered
        page.locator("#message").get_by_text("answer the question first").wait_for(timeout=20000)
        assert store.decisions() == []
        page.keyboard.press("n")
        page.wait_for_function(
            "document.querySelector('#needs-ok input[type=checkbox]').checked", timeout=20000
        )
        page.keyboard.press("a")
        second = wait_for_new_sample(page, first)
        page.keyboard.press("y")  # yes, something is unmarked: reject with the need's reason
        wait_for_new_sample(page, second)
        browser.close()
    second_need = store.candidate(second, with_image=False).meta["needs"][0]["id"]
    assert _reasons(store, first) == ("accept", [])
    assert _reasons(store, second) == (
        "reject",
        [{"code": "unannotated-object", "need": second_need}],
    )
    check = store.verify_log()
    assert check.ok and check.entries == 2


def _statement_store(path) -> CandidateStore:
    """Two samples of each task; each description has three statements in two references."""
    image = next(iter(ImgvizReader(("voc",))))
    samples = [
        sample.copy_with(
            references=[
                f"A {sample.meta['category']} on the table. It is red.",
                "It stands near the edge.",
            ]
        )
        if sample.task == "description"
        else sample
        for sample in draft_samples(image, 2)
    ]
    store = CandidateStore(path, create=True)
    store.add_candidates(samples)
    return store


def test_statements_marked_false_by_number_keys_and_one_key_rejects(serve, tmp_path):
    playwright_api = pytest.importorskip("playwright.sync_api")
    store = _statement_store(tmp_path / "statements.sqlite")
    url = serve(store)
    with playwright_api.sync_playwright() as driver:
        browser, page = open_review_page(driver, url, height=900)
        first = page.evaluate(SAMPLE_ID_JS)
        statements = page.locator("#false-sentences input[type=checkbox]")
        assert statements.count() == 3
        assert "2. It is red." in page.locator("#false-sentences").inner_text()
        page.keyboard.press("2")
        assert statements.nth(1).is_checked()
        page.wait_for_selector("#references textarea", state="visible", timeout=20000)
        page.keyboard.press("a")  # refused while a statement is marked false
        page.locator("#message").get_by_text("is marked false").wait_for(timeout=20000)
        page.keyboard.press("r")
        second = wait_for_new_sample(page, first)

        page.keyboard.press("3")  # the second reference's sentence, corrected in the text
        references = page.locator("#references textarea")
        references.wait_for(state="visible", timeout=20000)
        fixed = references.input_value().replace("near the edge", "in the middle")
        references.fill(fixed)
        references.press("Control+Enter")
        mcq = wait_for_new_sample(page, second)

        page.keyboard.press("w")  # MCQ: another option is also right
        skipped = wait_for_new_sample(page, mcq)
        page.keyboard.press("s")
        vt_res = wait_for_new_sample(page, skipped)
        assert page.locator("#reject-wrong-answer").is_hidden()
        page.keyboard.press("t")  # V-T RES: wrong targets
        last = wait_for_new_sample(page, vt_res)
        page.keyboard.press("p")  # V-T RES: needs no prompt
        page.wait_for_function(f"{SAMPLE_ID_JS} !== {last!r}", timeout=20000)
        browser.close()
    assert _reasons(store, first) == ("reject", [{"code": "false-statement", "sentence": 1}])
    decision, reasons = _reasons(store, second)
    assert (decision, reasons) == ("edit_accept", [{"code": "false-statement", "sentence": 2}])
    assert store.decisions(second)[-1].after["references"][1] == "It stands in the middle."
    assert _reasons(store, mcq) == ("reject", [{"code": "wrong-answer"}])
    assert _reasons(store, vt_res) == ("reject", [{"code": "wrong-target"}])
    assert _reasons(store, last) == ("reject", [{"code": "needs-no-prompt"}])
    assert store.verify_log().ok


def test_an_unsaved_painted_mask_blocks_e_and_a(make_store, serve, tmp_path):
    """B1: E without "Use the edited mask" once recorded a plain accept of the draft."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    store = make_store(tmp_path / "paint.sqlite", per_task=1)
    url = serve(store)
    with playwright_api.sync_playwright() as driver:
        browser, page = open_review_page(driver, url, height=1600)
        sample_id = page.evaluate(SAMPLE_ID_JS)
        page.get_by_text("Edit masks").click()
        page.locator("#load-editor").click()
        page.wait_for_selector("#mask-editor .pb-ed[data-loaded]", timeout=30000)
        guide = page.locator("#mask-editor .pb-guide")
        guide.scroll_into_view_if_needed()
        box = guide.bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.3, steps=5)
        page.mouse.up()
        page.keyboard.press("e")
        _note_has(page, "The painted mask is not used yet")
        page.locator("#mask-editor .pb-hide").click()  # closing the editor keeps the painting
        page.evaluate("document.querySelector('#key-note').innerText = ''")
        page.locator("#accept-btn").click()
        _note_has(page, "The painted mask is not used yet")
        page.wait_for_timeout(500)
        assert store.decisions() == [] and page.evaluate(SAMPLE_ID_JS) == sample_id

        page.locator("#load-editor").click()  # the painting is dropped: a fresh editor
        page.wait_for_selector("#mask-editor .pb-ed.pb-ed-open[data-loaded]", timeout=30000)
        page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.3, steps=5)
        page.mouse.up()
        page.locator("#mask-editor .pb-apply").click()
        page.wait_for_function(
            "document.querySelector('#message').innerText.includes('replaced by the edited')",
            timeout=30000,
        )
        keys_act(page)
        page.keyboard.press("e")
        page.wait_for_function(f"{SAMPLE_ID_JS} !== {sample_id!r}", timeout=30000)
        browser.close()
    entry = store.decisions(sample_id)[-1]
    assert entry.decision == "edit_accept" and set(entry.after) == {"prompts"}
    assert decode_reasons(entry.reason) == [{"code": "bad-mask"}]


@pytest.mark.parametrize("gap_ms", [80])
def test_a_double_press_accepts_one_sample_only(make_store, serve, tmp_path, gap_ms):
    """B2: two presses 73-235 ms apart accepted two samples, the second seen 28-70 ms."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    store = make_store(tmp_path / "double.sqlite", per_task=2)
    url = serve(store)
    with playwright_api.sync_playwright() as driver:
        browser, page = open_review_page(driver, url)
        shown = [page.evaluate(SAMPLE_ID_JS)]
        for _ in range(3):
            page.keyboard.press("a")
            page.wait_for_timeout(gap_ms)
            page.keyboard.press("a")
            shown.append(wait_for_new_sample(page, shown[-1]))
            page.wait_for_timeout(2 * DEFAULT_KEY_DELAY_MS)  # a late second key would land now
        browser.close()
    log = [(d.decision, d.sample_id) for d in store.decisions()]
    assert log == [("accept", sample_id) for sample_id in shown[:3]]
    assert len(set(shown)) == 4


def test_the_login_page_says_what_happened(store, tmp_path, free_port):
    """B4: a 429 and a right password during a pause both showed "Incorrect Credentials"."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    app = build_app(store, "nobody", tmp_path / "display")
    url = launch_app(app, "127.0.0.1", free_port, {"alice": "pw"}, tmp_path / "display")
    note = "#pb-login-note"
    try:
        with playwright_api.sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(url)
            for attempt, password in enumerate(["bad"] * 5 + ["pw"]):
                page.wait_for_selector("input[type=password]", timeout=30000)
                page.locator("input").nth(0).fill("alice")
                page.locator("input[type=password]").fill(password)
                page.get_by_role("button", name="Login").click()
                expected = "Wrong user name or password" if attempt < 4 else "paused for"
                if attempt == 5:
                    expected = "Too many failed logins as 'alice'"
                page.wait_for_function(
                    "([id, text]) => (document.querySelector(id)?.innerText ?? '').includes(text)",
                    arg=[note, expected],
                    timeout=20000,
                )
            browser.close()
    finally:
        app.close()
