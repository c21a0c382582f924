"""Leaderboard rows checked against themselves and their release (issue 20, groups 2 and 5):
headline against metrics and counts, audit marks from the release's manifest, and markdown
that no field can inject into."""

from __future__ import annotations

import json

import pytest

from evaluators.leaderboard import build_leaderboard
from perbench.cli import main
from perbench.release import Release, write_release
from tests.core.conftest import make_samples
from tests.evaluators.test_leaderboard import fake_result

PARTS = (0.1, 0.2, 0.3, 0.4)


def _edit(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    return path


def _both(data, column, value):
    """A headline figure forged together with the overall, so that the two still agree."""
    data["headline"][column] = value
    parts = [data["headline"][c] for c in ("meteor", "accuracy", "ciou", "giou")]
    data["headline"]["overall"] = (100 * parts[0] + 100 * parts[1] + 50 * (parts[2] + parts[3])) / 3


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: _both(d, "accuracy", 0.9), "but its metrics give"),
        (lambda d: _both(d, "meteor", 0.5), "but its metrics give"),
        (lambda d: d["counts"]["per_task"]["mcq"].update(scored=10), "expected but"),
        (lambda d: d["counts"].update(expected=7), "add up to"),
        (lambda d: d["benchmark"].update(counts={"mcq": 5}), "the release has 5"),
        (lambda d: d["metrics"]["mcq"].update(invalid=5000), "invalid answers"),
        (lambda d: d.pop("metrics"), "'metrics' must be"),
        (lambda d: d["metrics"].pop("vt_res"), "but its metrics give"),
    ],
)
def test_headline_and_counts_are_cross_checked(tmp_path, capsys, change, message):
    path = _edit(fake_result(tmp_path, "a", "m", PARTS), change)
    assert main(["leaderboard", str(path), "--out", str(tmp_path / "board")]) == 2
    err = capsys.readouterr().err
    assert message in err and str(path) in err and "Traceback" not in err


def test_an_accuracy_that_is_no_whole_number_of_answers_is_refused(tmp_path, capsys):
    def change(data):
        _both(data, "accuracy", 0.3921)
        data["metrics"]["mcq"]["accuracy"] = 0.3921

    path = _edit(fake_result(tmp_path, "a", "m", PARTS), change)
    assert main(["leaderboard", str(path), "--out", str(tmp_path / "board")]) == 2
    assert "no whole number of right answers out of 1000" in capsys.readouterr().err


OVERRIDE = {"reason": "demo", "failed": [{"gate": "blind", "text": "0.9 > 0.35"}]}


@pytest.fixture(scope="module")
def overridden_release(tmp_path_factory):
    root = tmp_path_factory.mktemp("lb") / "rel"
    extra = {"audit_override": OVERRIDE}
    return write_release(make_samples(1), root, "pb", "1.0", extra_manifest=extra, progress=False)


def _on_release(path, release, audit):
    def change(data):
        data["benchmark"]["fingerprint"] = release.fingerprint
        if audit is None:
            data["benchmark"].pop("audit", None)
        else:
            data["benchmark"]["audit"] = audit

    return _edit(path, change)


def test_a_forged_row_without_audit_cannot_strip_the_mark_of_genuine_rows(
    overridden_release, tmp_path, capsys
):
    release = Release(overridden_release)
    audit = {"override": OVERRIDE, "blind_floors": None}
    forged = _on_release(fake_result(tmp_path, "0-forged", "x", PARTS), release, None)
    genuine = _on_release(
        fake_result(tmp_path, "1-real", "y", (0.2, 0.3, 0.3, 0.3)), release, audit
    )
    board = tmp_path / "board"
    assert main(["leaderboard", str(forged), str(genuine), "--out", str(board)]) == 2
    assert "benchmark.audit differs" in capsys.readouterr().err
    argv = ["leaderboard", str(forged), str(genuine), "--release", str(overridden_release)]
    assert main([*argv, "--out", str(board)]) == 0, capsys.readouterr().err
    rows = [line for line in (board / "leaderboard.md").read_text().splitlines() if "| x |" in line]
    assert rows and "audit gates overridden" in rows[0]
    assert "demo" in (board / "leaderboard.md").read_text()


HOSTILE_NAMES = [
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
]
HOSTILE_REASON = "ok\n# Heading\n| a | b | c |\n<script>alert(1)</script>\n[l](javascript:x)"


def test_markdown_output_escapes_every_field(tmp_path):
    markdown_it = pytest.importorskip("markdown_it")
    paths = [
        fake_result(tmp_path, f"r{i}", name, (0.1 * (i + 1) / 5, 0.2, 0.3, 0.4), fp="f" * 64)
        for i, name in enumerate(HOSTILE_NAMES)
    ]
    audit = {"override": {"reason": HOSTILE_REASON, "failed": [{"gate": "<b>g</b>", "text": "*"}]}}
    for path in paths:
        _edit(path, lambda d: d["benchmark"].update(audit=audit))
    written = build_leaderboard(paths, tmp_path / "board", reported=False)
    text = written["markdown"].read_text()
    rendered = markdown_it.MarkdownIt("commonmark").enable("table").render(text)
    images = rendered.count("<img")
    assert images == rendered.count('<img src="charts/') == len(written["charts"])
    assert "<script" not in rendered and "<b>" not in rendered
    assert "href=" not in rendered and '="javascript' not in rendered
    assert rendered.count("<h1>") == 1 and rendered.count("<h2>") == 1
    assert rendered.count("<tr>") == 1 + len(HOSTILE_NAMES)  # header + one row per result
    assert "onerror=alert(1)" in rendered  # shown as text, not dropped
