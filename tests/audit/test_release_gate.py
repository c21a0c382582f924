"""`perbench release create` refuses a store that fails a gate, names the gate, and records an
override everywhere the release's numbers appear: manifest, card, `release show`, leaderboard."""

from __future__ import annotations

import json

from evaluators.baselines import run_baselines
from evaluators.leaderboard import build_leaderboard
from perbench.cli import main
from perbench.release import Release

REASON = "hand-built shortcut set, released to test the override"


def _create(store, out, *extra):
    arguments = ["release", "create", str(store.path), "--version", "1.0.0", "--out", str(out)]
    return main([*arguments, *extra])


def test_failing_store_is_refused_with_exit_2_naming_the_gate(make, store_of, tmp_path, capsys):
    store = store_of(make.longest_answer_mcqs())
    assert _create(store, tmp_path / "release") == 2
    error = capsys.readouterr().err
    assert "mcq_blind" in error and "best blind MCQ accuracy 1.00" in error
    assert "--accept-audit-failures" in error
    assert not (tmp_path / "release").exists()


def test_unreviewed_store_is_refused_unless_allowed(make, store_of, tmp_path, capsys):
    store = store_of(make.clean_descriptions(), reviewer="demo-auto-accept")
    assert _create(store, tmp_path / "refused") == 2
    assert "unreviewed: 3 of 3 samples no person accepted" in capsys.readouterr().err
    assert _create(store, tmp_path / "allowed", "--allow-unreviewed") == 0
    manifest = Release(tmp_path / "allowed").manifest
    assert manifest["audit"]["gates"]["unreviewed"] == "skipped"
    assert "audit_override" not in manifest


def test_override_is_recorded_shown_on_card_and_marked_on_the_leaderboard(
    make, store_of, tmp_path, capsys
):
    store = store_of(make.longest_answer_mcqs())
    out = tmp_path / "release"
    assert _create(store, out, "--accept-audit-failures", REASON) == 0
    printed = capsys.readouterr().out
    assert f"AUDIT GATES OVERRIDDEN: {REASON}" in printed
    manifest = Release(out).manifest
    override = manifest["audit_override"]
    assert override["reason"] == REASON
    assert [f["gate"] for f in override["failed"]] == ["mcq_blind"]
    assert manifest["audit"]["blind_floors"]["mcq"]["accuracy"]["value"] == 1.0
    card = (out / "README.md").read_text()
    assert "## Audit override" in card and REASON in card and "## Validity audit" in card

    assert main(["release", "show", str(out)]) == 0
    shown = capsys.readouterr().out
    assert f"AUDIT GATES OVERRIDDEN: {REASON}" in shown and "failed mcq_blind" in shown
    assert json.loads(shown[: shown.rindex("}") + 1])["audit_override"]["reason"] == REASON

    results = run_baselines(out, tmp_path / "results", progress=False)
    written = build_leaderboard(results, tmp_path / "board", reported=False)
    board = written["markdown"].read_text()
    assert f"Release audit gates overridden: {REASON}" in board
    assert "Blind floors (text only, no image): MCQ Acc 1.00" in board
    rows = [line for line in board.splitlines() if "baseline: " in line]
    assert rows and all("audit gates overridden" in row for row in rows)
    assert "audit gates overridden" in written["csv"].read_text()
    assert REASON in written["html"].read_text()
