"""`perbench demo` (the README's first command) without the model part (tests/models has it)."""

from __future__ import annotations

from pathlib import Path

from perbench.cli import main
from perbench.release import Release, verify_release
from perbench.review_log import AUTO_REVIEWER
from pipeline_demo.cli import DEMO_OVERRIDE_REASON


def test_demo_builds_a_release_scores_baselines_and_ends_with_its_path(tmp_path, capsys):
    arguments = ["demo", "--out", str(tmp_path), "--skip-model", "--no-progress"]
    assert main(arguments) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    release_path = Path(printed[-1])
    assert release_path == (tmp_path / "releases" / "perbench-demo-0.1.0").resolve()
    assert verify_release(release_path) == []
    release = Release(release_path)
    counts = release.manifest["counts"]
    assert counts["description"] >= 25 and counts["mcq"] >= 25 and counts["vt_res"] >= 15
    assert release.manifest["manual_check"] is False
    assert release.manifest["review"]["decisions_by_reviewer"] == {AUTO_REVIEWER: release.count()}
    # nothing was accepted by a person: the demo says it overrides the audit gates, and why
    assert f"overriding the audit gates: {DEMO_OVERRIDE_REASON}" in printed
    override = release.manifest["audit_override"]
    assert override["reason"] == DEMO_OVERRIDE_REASON
    assert "unreviewed" in [failure["gate"] for failure in override["failed"]]
    assert DEMO_OVERRIDE_REASON in (release_path / "README.md").read_text()
    board = (tmp_path / "leaderboard" / "leaderboard.md").read_text()
    assert "baseline: whole-image" in board and "Pixel-SAIL 3B" in board
    assert f"Release audit gates overridden: {DEMO_OVERRIDE_REASON}" in board
    # a second run reuses the verified release instead of overwriting it
    assert main(arguments) == 0
    assert "release already written and verified" in capsys.readouterr().out
