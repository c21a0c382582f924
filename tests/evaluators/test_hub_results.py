"""One Hugging Face .eval_results YAML per leaderboard row, readable by huggingface_hub."""

from __future__ import annotations

import json

import yaml
from huggingface_hub import parse_eval_result_entries

from perbench.cli import main


def _result(folder, model, headline, protocol="strict"):
    data = {
        "kind": "perbench-results",
        "benchmark": {"name": "pb", "version": "1.0", "fingerprint": "f" * 64},
        "protocol": protocol,
        "evaluator": {"version": "perbench-evaluators 9", "commit": None},
        "model": {"name": model, "revision": None},
        "headline": headline,
        "timestamp": "2025-01-01T00:00:00+00:00",
    }
    path = folder / f"{model}.1.0.{protocol}.results.json"
    path.write_text(json.dumps(data))
    return path


def test_leaderboard_writes_one_eval_results_file_per_row(tmp_path, capsys):
    # overall as perbench evaluate writes it: mean(24.2, 74, mean(33.4, 23.5)), not rounded
    overall = (24.2 + 74 + (33.4 + 23.5) / 2) / 3
    full = {"meteor": 0.242, "accuracy": 0.74, "ciou": 0.334, "giou": 0.235, "overall": overall}
    partial = {"meteor": None, "accuracy": 0.5, "ciou": None, "giou": None, "overall": None}
    _result(tmp_path, "a", full)
    _result(tmp_path, "b", partial, "official")
    out = tmp_path / "board"
    code = main(["leaderboard", str(tmp_path), "--out", str(out), "--eval-results", "org/pb"])
    assert code == 0, capsys.readouterr().err
    files = sorted((out / "eval_results").glob("*.yaml"))
    assert [f.name for f in files] == ["a.1.0.strict.yaml", "b.1.0.official.yaml"]
    entries = parse_eval_result_entries(yaml.safe_load(files[0].read_text()))
    values = {e.task_id: e.value for e in entries}
    assert values == {
        "description_meteor": 24.2,
        "mcq_accuracy": 74.0,
        "vt_res_ciou": 33.4,
        "vt_res_giou": 23.5,
        "overall": round(overall, 4),  # the YAML states four decimals
    }
    assert all(e.dataset_id == "org/pb" for e in entries)
    assert "strict protocol" in entries[0].notes and "f" * 64 in entries[0].notes
    only_mcq = parse_eval_result_entries(yaml.safe_load(files[1].read_text()))
    assert [(e.task_id, e.value) for e in only_mcq] == [("mcq_accuracy", 50.0)]
