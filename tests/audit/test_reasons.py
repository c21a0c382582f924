"""Structured review reasons: recorded under the chain, counted per task, family and reason."""

from __future__ import annotations

import json

import pytest

from evaluators.audit.reasons import review_rates
from perbench.cli import main
from perbench.errors import SchemaError
from perbench.needs import encode_reasons
from perbench.stats import wilson


@pytest.fixture
def reviewed(make, store_of):
    """20 MCQs of family "colour" (8 rejected, 2 edited), 20 of family "count" (1 rejected)."""
    samples = [make.mcq(i, f"img-{i // 2}", ["red", "blue", "green", "black"], 0, "colour")
               for i in range(20)]  # fmt: skip
    samples += [make.mcq(20 + i, f"img-c{i // 2}", ["one", "two", "three", "four"], 0, "count")
                for i in range(20)]  # fmt: skip
    store = store_of(samples, reviewer=None)
    for index, sample in enumerate(samples):
        if index < 8:
            need = [{"code": "unannotated-object", "need": "complete:chair"}]
            store.record(sample.id, "alice", "reject", reasons=need)
        elif index < 10:
            reasons = [{"code": "bad-wording", "note": "says the answer"}]
            store.record(sample.id, "alice", "edit_accept", after={"answer": 1}, reasons=reasons)
        elif index == 20:
            store.record(sample.id, "alice", "reject", reason="blurry photo")  # legacy plain text
        elif index == 39:
            continue  # never reviewed: not settled
        else:
            store.record(sample.id, "alice", "accept")
    return store


def test_reasons_are_stored_as_json_under_the_chain_and_decoded(reviewed):
    first = reviewed.decisions()[0]
    assert json.loads(first.reason) == [{"code": "unannotated-object", "need": "complete:chair"}]
    assert first.reasons == [{"code": "unannotated-object", "need": "complete:chair"}]
    legacy = next(d for d in reviewed.decisions() if d.sample_id == "mcq-0020")
    assert legacy.reasons == [{"code": "other", "note": "blurry photo"}]
    assert reviewed.state("mcq-0008").reasons == [
        {"code": "bad-wording", "note": "says the answer"}
    ]
    assert reviewed.verify_log().ok
    with pytest.raises(SchemaError, match="mcq-0039.*unknown reason code 'typo'"):
        reviewed.record("mcq-0039", "bob", "reject", reasons=[{"code": "typo"}])
    with pytest.raises(SchemaError, match="needs a note"):
        reviewed.record("mcq-0039", "bob", "reject", reasons=[{"code": "other"}])
    assert reviewed.state("mcq-0039").status == "pending"


def test_rates_per_task_family_and_reason_with_wilson_intervals(reviewed):
    rates = review_rates(reviewed.candidates(), reviewed.states(), flag_above=0.25)
    assert rates["settled"] == 39
    colour, count = rates["by_family"]["mcq/colour"], rates["by_family"]["mcq/count"]
    assert (colour["rejected"]["k"], colour["rejected"]["n"]) == (8, 20)
    assert colour["rejected"]["ci95"] == list(wilson(8, 20))
    assert (colour["edited"]["k"], count["rejected"]["k"], count["settled"]) == (2, 1, 19)
    assert rates["by_task"]["mcq"]["rejected"]["k"] == 9
    by_reason = rates["by_reason"]
    assert by_reason["unannotated-object"]["rejects"] == 8
    assert by_reason["bad-wording"]["edits"] == 2 and by_reason["other"]["rejects"] == 1
    assert [f["family"] for f in rates["flagged_families"]] == ["mcq/colour"]
    assert rates["flagged_families"][0]["certain"] is False  # wilson(8, 20) reaches 0.22


def test_perbench_audit_prints_the_rates_and_names_the_flagged_family(reviewed, tmp_path, capsys):
    out = tmp_path / "audit"
    arguments = ["audit", str(reviewed.path), "--out", str(out), "--meteor", "none"]
    assert main([*arguments, "--no-progress", "--flag-reject-rate", "0.1"]) == 0
    printed = capsys.readouterr().out
    assert "mcq/colour: 0.40 [0.22, 0.61] (n=20); 0.10" in printed
    assert "FLAG family mcq/colour: reject rate 0.40 [0.22, 0.61] (n=20) above 0.10" in printed
    assert "FLAG family mcq/count" not in printed
    report = json.loads((out / "validity.json").read_text())
    assert report["review"]["rates"]["by_reason"]["unannotated-object"]["samples"]["k"] == 8


def test_a_plain_text_reason_that_looks_like_json_still_reads_back(reviewed):
    reviewed.record("mcq-0039", "bob", "reject", reason="[1] the chair is a stool")
    reviewed.record("mcq-0039", "carol", "reject", reason="[1]")
    assert [d.reasons for d in reviewed.decisions("mcq-0039")] == [
        [{"code": "other", "note": "[1] the chair is a stool"}],
        [{"code": "other", "note": "[1]"}],
    ]


def test_reasons_already_encoded_by_the_app_are_kept_structured(reviewed):
    reasons = [{"code": "false-statement", "sentence": 2}, {"code": "bad-mask"}]
    reviewed.record("mcq-0039", "bob", "reject", reason=encode_reasons(reasons))
    entry = reviewed.decisions("mcq-0039")[-1]
    assert entry.reasons == reasons and entry.reason == encode_reasons(reasons)
