"""The leaderboard: groups never mix release versions or protocols; reported rows stay apart."""

from __future__ import annotations

import csv
import json

import pytest

from evaluators.leaderboard import REPORTED, REPRODUCED, build_leaderboard, leaderboard_rows
from perbench.cli import main


def fake_result(folder, name, model, overall_parts, version="1.0", protocol="strict", fp="f1"):
    meteor, acc, ciou, giou = overall_parts
    headline = {"meteor": meteor, "accuracy": acc, "ciou": ciou, "giou": giou}
    headline["overall"] = (100 * meteor + 100 * acc + 50 * (ciou + giou)) / 3
    metrics = {
        "description": {"meteor": meteor},
        "mcq": {"accuracy": acc, "invalid": 0},
        "vt_res": {"ciou": ciou, "giou": giou},
    }
    per_task = {task: {"expected": 1000, "scored": 1000, "missing": 0} for task in metrics}
    data = {
        "kind": "perbench-results",
        "benchmark": {"name": "pb", "version": version, "fingerprint": fp},
        "protocol": protocol,
        "model": {"name": model, "revision": None},
        "headline": headline,
        "metrics": metrics,
        "counts": {
            "expected": 3000,
            "scored": 3000,
            "missing": 0,
            "invalid": 0,
            "per_task": per_task,
        },
        "timestamp": "2025-01-01T00:00:00+00:00",
    }
    path = folder / f"{name}.results.json"
    path.write_text(json.dumps(data))
    return path


def test_groups_and_ranks(tmp_path):
    paths = [
        fake_result(tmp_path, "a", "low", (0.1, 0.2, 0.1, 0.1)),
        fake_result(tmp_path, "b", "high", (0.3, 0.8, 0.4, 0.3)),
        fake_result(tmp_path, "c", "other-version", (0.9, 0.9, 0.9, 0.9), version="2.0"),
        fake_result(tmp_path, "d", "official", (0.9, 0.9, 0.9, 0.9), protocol="official"),
    ]
    groups = leaderboard_rows(paths)
    titles = [g["title"] for g in groups]
    assert len(groups) == 4  # (1.0, strict), (1.0, official), (2.0, strict), reported
    strict_1 = next(g for g in groups if g["version"] == "1.0" and g["protocol"] == "strict")
    assert [(r["model"], r["rank"]) for r in strict_1["rows"]] == [("high", 1), ("low", 2)]
    assert all(r["rank"] == 1 for g in groups[:3] for r in g["rows"] if len(g["rows"]) == 1)
    assert groups[-1]["status"] == REPORTED and groups[-1]["citation"]
    assert all(g["status"] == REPRODUCED for g in groups[:-1]), titles


def test_files_written(tmp_path):
    paths = [fake_result(tmp_path, "a", "m<script>", (0.1, 0.2, 0.1, 0.1))]
    written = build_leaderboard(paths, tmp_path / "board")
    text = written["markdown"].read_text()
    assert "reproduced here" in text and "reported" in text and "Pixel-SAIL 3B" in text
    page = written["html"].read_text()
    assert "m&lt;script&gt;" in page and "<script>" not in page
    assert all(p.is_file() and p.read_bytes()[:4] == b"\x89PNG" for p in written["charts"])
    assert len(written["charts"]) == 6  # three tasks, two groups
    rows = list(csv.DictReader(written["csv"].open()))
    assert {r["status"] for r in rows} == {REPRODUCED, REPORTED}
    reported = [r for r in rows if r["status"] == REPORTED]
    assert len(reported) == 6 and reported[0]["overall"] == "42.2"


def test_one_version_two_fingerprints_is_an_error(tmp_path, capsys):
    fake_result(tmp_path, "a", "x", (0.1, 0.1, 0.1, 0.1), fp="aaa")
    fake_result(tmp_path, "b", "y", (0.1, 0.1, 0.1, 0.1), fp="bbb")
    assert main(["leaderboard", str(tmp_path), "--out", str(tmp_path / "board")]) == 2
    assert "two different releases carry one version" in capsys.readouterr().err


def test_not_a_results_file(tmp_path, capsys):
    bad = tmp_path / "x.results.json"
    bad.write_text("{}")
    assert main(["leaderboard", str(bad), "--out", str(tmp_path / "b")]) == 2
    assert "not a perbench results file" in capsys.readouterr().err


@pytest.mark.parametrize("drop", ["headline", "benchmark", "model", "protocol"])
def test_a_results_file_lacking_a_field_is_named(tmp_path, capsys, drop):
    path = fake_result(tmp_path, "a", "solo", (0.1, 0.2, 0.1, 0.1))
    data = json.loads(path.read_text())
    del data[drop]
    path.write_text(json.dumps(data))
    assert main(["leaderboard", str(path), "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and repr(drop) in err and str(path) in err


@pytest.mark.parametrize("reported", [True, False])
def test_cli_prints_markdown(tmp_path, capsys, reported):
    fake_result(tmp_path, "a", "solo", (0.1, 0.2, 0.1, 0.1))
    args = ["leaderboard", str(tmp_path), "--out", str(tmp_path / "board")]
    assert main(args + ([] if reported else ["--no-reported"])) == 0
    out = capsys.readouterr().out
    assert "| 1 | solo |" in out
    assert ("Pixel-SAIL 3B" in out) == reported


def test_training_recipe_is_summarised_on_reproduced_rows(tmp_path):
    path = fake_result(tmp_path, "m", "pixel-sail-tiny", (0.1, 0.3, 0.2, 0.2))
    data = json.loads(path.read_text())
    data["model"]["recipe"] = {
        "size": "tiny",
        "steps_done": 200,
        "device": "cpu",
        "train": {"global_batch_size": 16, "lr": 0.001},
        "data": {"synthetic_scenes": 16},
    }
    path.write_text(json.dumps(data))
    written = build_leaderboard([path], tmp_path / "board")
    markdown = written["markdown"].read_text()
    assert "tiny, 200 steps, batch 16, lr 0.001, cpu, +16 synthetic scenes" in markdown
    rows = list(csv.DictReader(written["csv"].open()))
    assert rows[0]["recipe"].startswith("tiny, 200 steps")
    assert all(r["recipe"] == "" for r in rows if r["status"] == REPORTED)


def test_evaluate_cli_keeps_the_recipe_file(tmp_path, capsys):
    (tmp_path / "bad.json").write_text("[1, 2]")
    assert (
        main(
            ["evaluate", "--release", str(tmp_path), "--predictions", "p.jsonl", "--model", "m"]
            + ["--recipe", str(tmp_path / "bad.json")]
        )
        == 2
    )
    assert "recipe file must hold a JSON object" in capsys.readouterr().err


def test_pipes_in_names_do_not_split_markdown_rows(tmp_path):
    path = fake_result(tmp_path, "p", "model | with pipe", (0.1, 0.3, 0.2, 0.2))
    markdown = build_leaderboard([path], tmp_path / "board")["markdown"].read_text()
    row = next(line for line in markdown.splitlines() if "with pipe" in line)
    assert "model \\| with pipe" in row
    assert row.count(" | ") == markdown.splitlines()[8].count(" | ")


def test_two_revisions_of_one_model_get_two_result_files():
    from evaluators.results import results_stem

    first = results_stem("pixel-sail", "1.0", "strict", "step-100")
    second = results_stem("pixel-sail", "1.0", "strict", "step-200")
    assert first != second
    assert results_stem("pixel-sail", "1.0", "strict") == "pixel-sail.1.0.strict"
