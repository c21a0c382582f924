"""Forged and hostile results files never reach the leaderboard's ranking or outputs (issue 12)."""

from __future__ import annotations

import csv
import json

import pytest

from evaluators.leaderboard import build_leaderboard, leaderboard_rows
from perbench.cli import main
from tests.evaluators.test_leaderboard import fake_result


def _edit(path, **headline):
    data = json.loads(path.read_text())
    data["headline"].update(headline)
    path.write_text(json.dumps(data).replace('"NAN"', "NaN").replace('"INF"', "Infinity"))
    return path


@pytest.mark.parametrize(
    "change, message",
    [
        ({"accuracy": 1.7}, "outside [0, 1]"),
        ({"meteor": -0.2}, "outside [0, 1]"),
        ({"ciou": "NAN"}, "NaN and Infinity"),
        ({"giou": "INF"}, "NaN and Infinity"),
        ({"meteor": "0.3"}, "must be a number"),
        ({"overall": 99.0}, "does not match its parts"),
        ({"overall": None}, "does not match its parts"),
    ],
)
def test_forged_numbers_are_refused(tmp_path, capsys, change, message):
    path = _edit(fake_result(tmp_path, "a", "m", (0.1, 0.2, 0.3, 0.4)), **change)
    assert main(["leaderboard", str(path), "--out", str(tmp_path / "board")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and str(path) in err


def test_a_future_timestamp_never_replaces_the_real_row(tmp_path, capsys):
    real = fake_result(tmp_path, "real", "m", (0.1, 0.2, 0.3, 0.4))
    forged = fake_result(tmp_path, "forged", "m", (0.9, 0.9, 0.9, 0.9))
    data = json.loads(forged.read_text())
    data["timestamp"] = "2999-01-01T00:00:00+00:00"
    forged.write_text(json.dumps(data))
    assert main(["leaderboard", str(real), str(forged), "--out", str(tmp_path / "b")]) == 2
    assert "differently" in capsys.readouterr().err
    twin = fake_result(tmp_path, "twin", "m", (0.1, 0.2, 0.3, 0.4))
    rows = leaderboard_rows([real, twin], reported=False)[0]["rows"]
    assert len(rows) == 1


def test_hostile_names_are_plain_text_everywhere(tmp_path):
    names = ["$\\frac{$", '=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "two\nlines | pipe"]
    paths = [
        fake_result(tmp_path, f"r{i}", name, (0.1 * i / 6, 0.2, 0.3, 0.4))
        for i, name in enumerate(names)
    ]
    written = build_leaderboard(paths, tmp_path / "board", reported=False)
    rows = list(csv.DictReader(written["csv"].open()))
    models = {r["model"] for r in rows}
    assert not any(m.startswith(("=", "+", "-", "@")) for m in models)
    assert '\'=HYPERLINK("http://x")' in models
    table = [line for line in written["markdown"].read_text().splitlines() if "lines" in line]
    assert len(table) == 1 and "two lines \\| pipe" in table[0]
    assert table[0].count(" | ") == 11  # twelve cells, no extra column from the name's pipe
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in written["charts"])
