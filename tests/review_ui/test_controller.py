from __future__ import annotations

import numpy as np
import pytest

from perbench.errors import SchemaError
from perbench.masks import encode
from review_ui.controller import ReviewController
from review_ui.queue import ALL, Filters
from review_ui.view import ReviewEditError

MINE = Filters()
WRONG = [{"code": "wrong-answer"}]
WORDING = [{"code": "bad-wording", "note": "not fluent"}]


@pytest.fixture
def controller(store, tmp_path):
    return ReviewController(store, tmp_path / "display")


def _log(store):
    return [(d.reviewer, d.decision, d.sample_id, d.reason, d.undoes) for d in store.decisions()]


def test_accept_reject_skip_undo_walk_the_queue(controller, store):
    first = controller.screen("alice", MINE)
    assert first.view is not None and first.sample_id == first.view.sample.id
    second = controller.decide("alice", MINE, first.sample_id, "accept")
    assert second.sample_id != first.sample_id and "Recorded: accept" in second.message
    third = controller.decide("alice", MINE, second.sample_id, "reject", reasons=WRONG, note=" x ")
    fourth = controller.decide("alice", MINE, third.sample_id, "skip")
    back = controller.undo("alice", MINE)
    assert back.sample_id == third.sample_id and "Undid your skip" in back.message
    assert _log(store) == [
        ("alice", "accept", first.sample_id, None, None),
        ("alice", "reject", second.sample_id, '[{"code":"wrong-answer"}]', None),
        ("alice", "skip", third.sample_id, None, None),
        ("alice", "undo", third.sample_id, None, 3),
    ]
    assert store.decisions()[1].note == "x"
    assert fourth.sample_id != third.sample_id
    assert "<b>alice (you, 7 left)</b>" in back.progress_html
    assert "skip" not in back.progress_html  # an undone skip is not counted
    assert "accept 1, reject 1</div>" in back.progress_html
    assert "<b>description</b>" in back.progress_html
    assert "accepted 1, rejected 1, pending 1</div>" in back.progress_html


def test_repeated_decision_is_recorded_once(controller, store):
    sample_id = controller.screen("alice", MINE).sample_id
    controller.decide("alice", MINE, sample_id, "accept")
    again = controller.decide("alice", MINE, sample_id, "accept")
    assert "Already recorded" in again.message
    assert len(store.decisions()) == 1
    controller.decide("alice", MINE, sample_id, "reject", reasons=[{"code": "duplicate"}])
    assert [d.decision for d in store.decisions()] == ["accept", "reject"]


def test_reject_needs_a_reason(controller):
    sample_id = controller.screen("alice", MINE).sample_id
    with pytest.raises(ReviewEditError, match="pick a reject reason"):
        controller.decide("alice", MINE, sample_id, "reject")
    with pytest.raises(SchemaError, match="needs a note"):
        controller.decide("alice", MINE, sample_id, "reject", reasons=[{"code": "other"}])


def test_edit_and_accept_records_only_changed_fields(controller, store):
    mcq = next(store.candidates("mcq"))
    options = "\n".join(mcq.options)
    same = controller.form_edits(mcq.id, mcq.question, "", options, "A", {}, MINE)
    assert same == {}
    after = controller.form_edits(
        mcq.id, "Which thing is <region1>?", "", options + "\nlamp", "B", {}, MINE
    )
    assert after == {
        "question": "Which thing is <region1>?",
        "options": [*mcq.options, "lamp"],
        "answer": 1,
    }
    controller.decide("alice", Filters(task="mcq"), mcq.id, "edit_accept", after=after)
    assert store.state(mcq.id).edits == after
    with pytest.raises(ReviewEditError, match="correct option 'E'"):
        controller.form_edits(mcq.id, mcq.question, "", options, "E", {}, MINE)
    # an edit with no change is a plain accept
    description = next(store.candidates("description"))
    text = "\n\n".join(description.references)
    unchanged = controller.form_edits(
        description.id, description.question, text, "", None, {}, MINE
    )
    controller.decide("alice", MINE, description.id, "edit_accept", after=unchanged)
    assert store.decisions(description.id)[-1].decision == "accept"
    two = controller.form_edits(
        description.id, description.question, "One.\n\n\nTwo\nlines.", "", None, {}, MINE
    )
    assert two == {"references": ["One.", "Two\nlines."]}


def test_mask_edit_from_an_instance(controller, store):
    sample = next(store.candidates("vt_res"))
    screen = controller.screen("alice", Filters(task="vt_res"), sample.id)
    masks = [controller.instance_mask(sample.id, label) for label in screen.instances]
    mask = next(m for m in masks if m != sample.targets[0])
    edits = controller.mask_edit(sample.id, "target 1", mask, {}, MINE)
    assert edits == {"targets": [mask]}
    shown = controller.screen("alice", Filters(task="vt_res"), sample.id, mask_edits=edits)
    assert shown.view.sample.targets == [mask] and shown.mask_edits == edits
    after = controller.form_edits(sample.id, sample.question, "", "", None, edits, MINE)
    controller.decide("alice", Filters(task="vt_res"), sample.id, "edit_accept", after=after)
    assert store.decisions(sample.id)[-1].after == {"targets": [mask]}
    assert store.decisions(sample.id)[-1].before == {"targets": sample.targets}
    with pytest.raises(ReviewEditError, match="differs from the image"):
        controller.mask_edit(sample.id, "target 1", encode(np.ones((4, 4))), {}, MINE)
    with pytest.raises(ReviewEditError, match="no instance"):
        controller.instance_mask(sample.id, "#99 nothing")


def test_concurrent_disagreement_is_a_conflict_and_can_be_resolved(controller, store):
    sample_id = controller.screen("alice", MINE).sample_id
    assert controller.screen("bob", MINE).sample_id == sample_id  # both look at it at once
    controller.decide("alice", MINE, sample_id, "accept")
    screen = controller.decide("bob", MINE, sample_id, "reject", reasons=WORDING)
    assert "**Conflict:** accepted by alice, rejected by bob" in screen.message
    assert store.state(sample_id).status == "conflict"
    conflicts = Filters(status="conflict")
    page = controller.screen("carol", conflicts)
    assert page.sample_id == sample_id and "Resolving a conflict" in page.header
    assert "- bob: reject: bad-wording (not fluent)" in page.header
    controller.decide("carol", conflicts, sample_id, "reject", reasons=WORDING)
    assert store.decisions(sample_id)[-1].decision == "resolve_reject"
    assert store.state(sample_id).status == "rejected"
    assert controller.screen("carol", conflicts).view is None


def test_resolution_can_revert_an_edit_to_the_draft(controller, store):
    sample = next(store.candidates("description"))
    controller.decide("alice", MINE, sample.id, "edit_accept", after={"references": ["Edited."]})
    controller.decide("bob", MINE, sample.id, "reject", reasons=WRONG)
    conflicts = Filters(status="conflict")
    shown = controller.screen("carol", conflicts, sample.id).view.sample
    assert shown.references == ["Edited."]  # the form starts from the logged edit
    draft_text = "\n\n".join(sample.references)
    after = controller.form_edits(sample.id, sample.question, draft_text, "", None, {}, conflicts)
    assert after == {"references": sample.references}
    controller.decide("carol", conflicts, sample.id, "edit_accept", after=after)
    final = next(store.accepted_samples("description"))
    assert final.references == sample.references


def test_empty_queue_screen(controller, store):
    screen = controller.screen("alice", Filters(status="accepted", task=ALL))
    assert screen.view is None and "Nothing to review" in screen.header
    with pytest.raises(ReviewEditError, match="no sample is shown"):
        controller.decide("alice", MINE, "", "accept")


def _conflict(controller, store) -> str:
    sample_id = controller.screen("alice", MINE).sample_id
    controller.decide("alice", MINE, sample_id, "accept")
    controller.decide("bob", MINE, sample_id, "reject", reasons=WRONG)
    assert store.state(sample_id).status == "conflict"
    return sample_id


def test_only_adjudicators_settle_conflicts(store, tmp_path):
    controller = ReviewController(store, tmp_path / "display", adjudicators={"carol"})
    sample_id = _conflict(controller, store)
    conflicts = Filters(status="conflict")
    page = controller.screen("dave", conflicts)
    assert page.sample_id == sample_id and "Resolving" not in page.header
    assert "only an adjudicator settles it" in page.header
    # a non-adjudicator's accept is an ordinary vote: recorded, the conflict stays
    screen = controller.decide("dave", conflicts, sample_id, "accept")
    assert "this is your own accept, and the sample is now conflict" in screen.message
    assert store.decisions(sample_id)[-1].decision == "accept"
    assert store.state(sample_id).status == "conflict"
    assert controller.screen("carol", conflicts).header.count("Resolving a conflict") == 1
    with pytest.raises(ReviewEditError, match="unknown decision 'resolve_accept'"):
        controller.decide("dave", conflicts, sample_id, "resolve_accept")
    controller.decide("carol", conflicts, sample_id, "reject", reasons=WRONG)
    assert [(d.reviewer, d.decision) for d in store.decisions(sample_id)] == [
        ("alice", "accept"),
        ("bob", "reject"),
        ("dave", "accept"),
        ("carol", "resolve_reject"),
    ]
    assert store.state(sample_id).status == "rejected"


def test_a_reviewer_changing_their_own_vote_can_end_a_conflict(store, tmp_path):
    controller = ReviewController(store, tmp_path / "display", adjudicators=set())
    sample_id = _conflict(controller, store)
    conflicts = Filters(status="conflict")
    screen = controller.decide("bob", conflicts, sample_id, "accept")
    assert "this is your own accept, and the sample is now accepted" in screen.message
    assert store.decisions(sample_id)[-1].decision == "accept"
    assert store.state(sample_id).status == "accepted"


def test_a_non_adjudicator_edit_in_the_conflict_queue_is_a_plain_edit(store, tmp_path):
    sample = next(store.candidates("description"))
    controller = ReviewController(store, tmp_path / "display", adjudicators={"carol"})
    controller.decide("alice", MINE, sample.id, "edit_accept", after={"references": ["Edited."]})
    controller.decide("bob", MINE, sample.id, "reject", reasons=WRONG)
    conflicts = Filters(status="conflict")
    draft_text = "\n\n".join(sample.references)
    form = (sample.id, sample.question, draft_text, "", None, {}, conflicts)
    assert controller.form_edits(*form, "dave") == {}  # back at the draft: nothing edited
    assert controller.form_edits(*form, "carol") == {"references": sample.references}


def test_an_accept_binds_to_the_version_it_saw(store, tmp_path):
    """Alice edits the answer; Bob accepts the draft: conflict. Seeing her edit, he agrees."""
    controller = ReviewController(store, tmp_path / "display", adjudicators=["carol"])
    mcq = Filters(task="mcq")
    shown = controller.screen("alice", mcq)
    sample = shown.view.sample
    other = (sample.answer + 1) % len(sample.options)
    after = {"answer": other}
    controller.decide("alice", mcq, sample.id, "edit_accept", after=after)
    bob = controller.screen("bob", mcq, sample.id)
    assert bob.view.sample.answer == sample.answer  # the draft
    result = controller.decide("bob", mcq, sample.id, "accept", seen_version=bob.version)
    assert "different versions" in result.message
    assert store.state(sample.id).status == "conflict"
    # in the conflict queue Bob sees Alice's version; accepting it settles the disagreement
    conflicts = Filters(task="mcq", status="conflict")
    again = controller.screen("bob", conflicts, sample.id)
    assert again.view.sample.answer == other and again.version != bob.version
    controller.decide("bob", conflicts, sample.id, "accept", seen_version=again.version)
    state = store.state(sample.id)
    assert state.status == "accepted" and state.edits == after
    assert list(state.versions.values()) == [["alice", "bob"]]


def test_the_next_sample_prefetched_is_the_one_shown_and_drawn_once(controller, store):
    first = controller.screen("alice", MINE)
    likely = controller.queue.ordered(MINE, "alice")[1]
    assert first.prefetch and first.prefetch == controller.views.plan(likely)
    drawn = controller.views.images.served(first.prefetch[0].rsplit("/", 1)[-1])  # the browser
    stamp = drawn.stat().st_mtime_ns
    after = controller.decide("alice", MINE, first.sample_id, "accept")
    assert after.sample_id == likely and after.view.image_path == drawn
    assert drawn.stat().st_mtime_ns == stamp  # served from the prefetch, not drawn again


def test_another_reviewers_decision_changes_the_next_sample_never_to_a_wrong_one(controller, store):
    first = controller.screen("alice", MINE)
    likely = controller.queue.ordered(MINE, "alice")[1]
    controller.decide("bob", MINE, likely, "accept")  # one accept settles it (k = 1)
    after = controller.decide("alice", MINE, first.sample_id, "accept")
    assert after.sample_id not in (first.sample_id, likely)
    assert after.sample_id == controller.queue.next_id(MINE, "alice")
    assert after.view.sample.id == after.sample_id
