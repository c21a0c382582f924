"""The app launched in the test on a free loopback port with login, driven by gradio_client."""

from __future__ import annotations

import base64
import io
import re

import httpx
import numpy as np
import pytest
from gradio_client import Client
from PIL import Image

from perbench.masks import encode, iou
from review_ui.app import build_app, launch_app
from review_ui.auth import ReviewAuthError
from review_ui.queue import ReviewQueue
from review_ui.view import ViewMaker

USERS = {"alice": "alice-pw", "bob": "bob-pw"}
IMAGE, SAMPLE, HEADER, QUESTION, REFERENCES, OPTIONS, ANSWER, MESSAGE = 0, 1, 2, 4, 5, 6, 7, 8
SLOTS, TASK_FILTER, STATUS_FILTER, CATEGORY_FILTER, REVIEWER_FILTER = 10, 12, 13, 14, 15


@pytest.fixture
def served(store, tmp_path, free_port):
    app = build_app(store, "nobody", tmp_path / "display")
    url = launch_app(app, "127.0.0.1", free_port, USERS, tmp_path / "display")
    yield url, store
    app.close()


def value(output):
    """An output's value (component updates come back as ``{"__type__": "update", "value"}``)."""
    return output.get("value") if isinstance(output, dict) and "__type__" in output else output


def _client(url: str, name: str) -> Client:
    return Client(url, auth=(name, USERS[name]), verbose=False)


def test_wrong_password_and_no_login_are_refused(served):
    url, store = served
    with pytest.raises(ValueError, match="(?i)could not login"):
        Client(url, auth=("alice", "bob-pw"), verbose=False)
    with pytest.raises(ValueError):
        Client(url, verbose=False)
    assert store.decisions() == []


def test_accept_edit_reject_undo_land_in_the_store(served):
    url, store = served
    alice = _client(url, "alice")
    page = alice.predict(api_name="/show")
    first = page[SAMPLE]
    assert first.startswith("description-") and "<region1>" in value(page[QUESTION])
    page = alice.predict(first, api_name="/accept")
    second = page[SAMPLE]
    assert "Recorded: accept" in page[MESSAGE]
    page = alice.predict(
        second, "Describe <region1> briefly.", "A red bottle.", "", None, [], [], None, "",
        api_name="/edit_accept",
    )  # fmt: skip
    third = page[SAMPLE]
    *page, reason, note = alice.predict(third, [], "bad-wording", "typo", api_name="/reject")
    assert (reason, note) == (None, "")
    fourth = page[SAMPLE]
    page = alice.predict(api_name="/undo")
    assert page[SAMPLE] == third and "Undid your reject" in page[MESSAGE]
    log = [
        (d.reviewer, d.decision, d.sample_id, d.reason, d.note, d.undoes) for d in store.decisions()
    ]
    assert log == [
        ("alice", "accept", first, None, None, None),
        ("alice", "edit_accept", second, '[{"code":"bad-wording"}]', None, None),
        ("alice", "reject", third, '[{"code":"bad-wording","note":"typo"}]', "typo", None),
        ("alice", "undo", third, None, None, 3),
    ]
    assert store.decisions(second)[0].after == {
        "question": "Describe <region1> briefly.",
        "references": ["A red bottle."],
    }
    assert fourth not in (first, second, third)
    assert [s.id for s in store.accepted_samples()] == sorted([first, second])


def test_reject_without_reason_is_an_error_not_a_decision(served):
    url, store = served
    alice = _client(url, "alice")
    sample_id = alice.predict(api_name="/show")[SAMPLE]
    with pytest.raises(Exception, match="pick a reject reason"):
        alice.predict(sample_id, [], None, "", api_name="/reject")
    assert store.decisions() == []
    with pytest.raises(Exception, match="no candidate with id 'nope'") as error:
        alice.predict("nope", api_name="/accept")
    assert str(store.path) not in str(error.value) and store.path.name not in str(error.value)


def test_mcq_edit_and_mask_edits_through_the_app(served, tmp_path):
    url, store = served
    alice = _client(url, "alice")
    page = alice.predict("mcq", "to review", "all", "all", api_name="/filter")
    mcq = store.candidate(page[SAMPLE])
    options = value(page[OPTIONS]) + "\nsomething else"
    page = alice.predict(
        mcq.id, value(page[QUESTION]), "", options, "B", [], [], None, "", api_name="/edit_accept"
    )
    assert store.state(mcq.id).edits == {"options": [*mcq.options, "something else"], "answer": 1}

    page = alice.predict("vt_res", "to review", "all", "all", api_name="/filter")
    vt = store.candidate(page[SAMPLE])
    assert value(page[SLOTS]) == "<region1>"
    # the instance dropdown lists these labels (same function, same store)
    instances = ViewMaker(store, tmp_path / "labels").instances(
        ReviewQueue(store).ids_of_image(vt.image_id)
    )
    label, mask = next((label, mask) for label, mask in instances if mask != vt.targets[0])
    page = alice.predict(vt.id, "target 1", label, api_name="/use_instance")
    assert "target 1 now uses" in page[MESSAGE] and page[SAMPLE] == vt.id

    # brush edit: a painted box in an RGBA layer, sent the way the editor sends it (PNG data URL)
    layer = np.zeros((vt.height, vt.width, 4), np.uint8)
    layer[20:120, 30:200] = (40, 220, 40, 255)
    buffer = io.BytesIO()
    Image.fromarray(layer).save(buffer, format="PNG")
    png = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    page = alice.predict(vt.id, "<region1>", png, api_name="/apply_mask")
    assert "&lt;region1&gt; replaced by the edited mask" in page[MESSAGE]  # shown as text
    alice.predict(
        vt.id, value(page[QUESTION]), "", "", None, [], [], None, "", api_name="/edit_accept"
    )
    entry = store.decisions(vt.id)[-1]
    assert entry.decision == "edit_accept" and set(entry.after) == {"targets", "prompts"}
    assert entry.after["targets"] == [mask]
    assert iou(entry.after["prompts"][0]["mask"], encode(layer[..., 3])) == 1.0
    assert entry.before == {"targets": vt.targets, "prompts": vt.prompts}


def test_two_reviewers_on_one_sample_see_the_conflict(served):
    url, store = served
    alice, bob = _client(url, "alice"), _client(url, "bob")
    sample_id = alice.predict(api_name="/show")[SAMPLE]
    assert bob.predict(api_name="/show")[SAMPLE] == sample_id
    alice.predict(sample_id, api_name="/accept")
    *page, _, _ = bob.predict(sample_id, [], "wrong-answer", "", api_name="/reject")
    assert "**Conflict:** accepted by alice, rejected by bob" in page[MESSAGE]
    assert [(d.reviewer, d.decision) for d in store.decisions()] == [
        ("alice", "accept"),
        ("bob", "reject"),
    ]
    page = alice.predict("all", "conflict", "all", "all", api_name="/filter")
    assert page[SAMPLE] == sample_id and "Resolving a conflict" in page[HEADER]
    report = alice.predict(api_name="/agreement")
    assert "| alice & bob | 1 | 0.000 |" in report


def test_filters_come_back_when_the_same_reviewer_reconnects(served):
    url, store = served
    alice = _client(url, "alice")
    page = alice.predict(api_name="/show")
    assert [value(page[i]) for i in (TASK_FILTER, STATUS_FILTER)] == ["all", "to review"]
    first = page[SAMPLE]
    category = store.candidate(first).meta["category"]
    alice.predict(first, api_name="/accept")  # so "alice" is offered as decided-by
    chosen = ["description", "accepted", category, "alice"]
    page = alice.predict(*chosen, api_name="/filter")
    assert page[SAMPLE] == first
    alice.close()

    again = _client(url, "alice").predict(api_name="/show")  # a reload: a new session
    filters = (TASK_FILTER, STATUS_FILTER, CATEGORY_FILTER, REVIEWER_FILTER)
    assert [value(again[i]) for i in filters] == chosen
    assert again[SAMPLE] == first and "status **accepted**" in again[HEADER]
    bob = _client(url, "bob").predict(api_name="/show")  # saved per reviewer
    assert [value(bob[i]) for i in filters] == ["all", "to review", "all", "all"]
    assert bob[SAMPLE] != first


def test_only_the_adjudicator_settles_a_conflict_through_the_app(store, tmp_path, free_port):
    app = build_app(store, "nobody", tmp_path / "display", adjudicators={"alice"})
    url = launch_app(app, "127.0.0.1", free_port, USERS, tmp_path / "display")
    try:
        alice, bob = _client(url, "alice"), _client(url, "bob")
        sample_id = alice.predict(api_name="/show")[SAMPLE]
        alice.predict(sample_id, api_name="/accept")
        bob.predict(sample_id, [], "wrong-answer", "", api_name="/reject")
        page = bob.predict("all", "conflict", "all", "all", api_name="/filter")
        assert page[SAMPLE] == sample_id and "only an adjudicator settles it" in page[HEADER]
        *page, _, _ = bob.predict(sample_id, [], "wrong-answer", "again", api_name="/reject")
        assert "this is your own reject, and the sample is now conflict" in page[MESSAGE]
        page = alice.predict("all", "conflict", "all", "all", api_name="/filter")
        assert page[SAMPLE] == sample_id and "Resolving a conflict" in page[HEADER]
        alice.predict(sample_id, api_name="/accept")
    finally:
        app.close()
    assert [(d.reviewer, d.decision, d.note) for d in store.decisions(sample_id)] == [
        ("alice", "accept", None),
        ("bob", "reject", None),
        ("bob", "reject", "again"),
        ("alice", "resolve_accept", None),
    ]
    assert store.state(sample_id).status == "accepted"


def test_public_address_without_login_is_refused(store, tmp_path):
    app = build_app(store, "nobody", tmp_path / "display")
    with pytest.raises(ReviewAuthError, match="refusing to listen on 0.0.0.0"):
        launch_app(app, "0.0.0.0", None, {}, tmp_path / "display")


def test_images_are_served_by_cacheable_url_only_to_logged_in_browsers(served):
    url, _ = served
    page = _client(url, "alice").predict(api_name="/show")
    shown = re.search(r'class="pb-sample" src="(pb-image/view-[0-9a-f]{32}\.jpg)"', page[IMAGE])[1]
    ahead = re.findall(r'data-src="(pb-image/view-[0-9a-f]{32}(?:-near)?\.jpg)"', page[IMAGE])
    assert ahead, "the likely next sample's image is loaded ahead"
    for name in (shown, ahead[0]):
        refused = httpx.get(url + name)
        assert refused.status_code == 401 and refused.content == b"Log in first."
    with httpx.Client(base_url=url) as browser:
        browser.post("login", data={"username": "alice", "password": "alice-pw"})
        for name in (shown, ahead[0]):  # ahead: drawn on this request, never shown yet
            answer = browser.get(name)
            assert answer.status_code == 200 and answer.content[:2] == b"\xff\xd8"  # a JPEG
            assert answer.headers["cache-control"] == "private, max-age=31536000, immutable"
        assert browser.get("pb-image/view-" + "0" * 32 + ".jpg").status_code == 404
        assert browser.get("pb-image/..%2Fcandidates.sqlite").status_code == 404
