from __future__ import annotations

import numpy as np
import pytest

from perbench.masks import encode
from review_ui.agreement import agreement_report, format_report


def test_decision_agreement_and_kappa(store):
    ids = store.candidate_ids()
    verdicts = {  # alice, bob
        ids[0]: ("accept", "accept"),
        ids[1]: ("accept", "reject"),
        ids[2]: ("reject", "reject"),
        ids[3]: ("accept", "accept"),
    }
    for sample_id, (alice, bob) in verdicts.items():
        for name, verdict in (("alice", alice), ("bob", bob)):
            store.record(
                sample_id, name, verdict, reason="answer wrong" if verdict == "reject" else None
            )
    store.record(ids[4], "alice", "accept")  # one reviewer only: not a pair
    report = agreement_report(store)
    assert report["samples_with_several_reviewers"] == 4
    assert report["conflicts"] == 1
    pair = report["pairs"]["alice|bob"]
    assert pair["pairs"] == 4 and pair["agreement"] == pytest.approx(0.75)
    # p_alice(accept) = 3/4, p_bob(accept) = 2/4: chance = 3/8 + 1/8 = 0.5
    assert pair["kappa"] == pytest.approx((0.75 - 0.5) / 0.5)
    assert report["overall"]["agreement"] == pytest.approx(0.75)
    assert "| alice & bob | 4 | 0.750 | 0.500 |" in format_report(report)


def test_mask_iou_between_approved_masks(store):
    sample = next(store.candidates("vt_res"))
    h, w = sample.height, sample.width
    left = np.zeros((h, w), np.uint8)
    left[0:100, 0:100] = 1
    right = np.zeros((h, w), np.uint8)
    right[0:100, 50:150] = 1
    store.record(sample.id, "alice", "edit_accept", after={"targets": [encode(left)]})
    store.record(sample.id, "bob", "edit_accept", after={"targets": [encode(right)]})
    store.record(sample.id, "carol", "accept")  # approves the draft target
    masks = agreement_report(store)["mask_iou"]
    assert masks["count"] == 3
    alice_bob = next(i for i in masks["lowest"] if i["reviewers"] == ["alice", "bob"])
    assert alice_bob["iou"] == pytest.approx(50 * 100 / (150 * 100))
    assert masks["min"] <= alice_bob["iou"]
    edited_prompt = next(store.candidates("mcq"))
    prompts = [{"tag": "<region1>", "mask": encode(left)}]
    store.record(edited_prompt.id, "alice", "edit_accept", after={"prompts": prompts})
    store.record(edited_prompt.id, "bob", "edit_accept", after={"prompts": prompts})
    fields = [i["field"] for i in agreement_report(store)["mask_iou"]["lowest"]]
    assert "prompt <region1>" in fields


def test_empty_report(store):
    report = agreement_report(store)
    assert report["overall"] == {"pairs": 0, "agreement": None, "kappa": None}
    assert "n/a" in format_report(report)


def test_an_accept_of_the_draft_disagrees_with_an_edit(store):
    """Alice changes the answer, Bob accepts the draft: a disagreement, not an agreement."""
    sample = next(store.candidates("mcq"))
    other = {"answer": (sample.answer + 1) % len(sample.options)}
    store.record(sample.id, "alice", "edit_accept", after=other)
    store.record(sample.id, "bob", "accept")
    report = agreement_report(store)
    assert report["conflicts"] == 1 and report["versions_split"] == 1
    assert report["pairs"]["alice|bob"]["agreement"] == 0.0
    # the same edit by both is agreement on one version
    store.record(sample.id, "bob", "edit_accept", after=other)
    report = agreement_report(store)
    assert report["conflicts"] == 0 and report["versions_split"] == 0
    assert report["pairs"]["alice|bob"]["agreement"] == 1.0
