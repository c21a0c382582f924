"""Sharded scoring: the merge of ``--shard i/n`` partial files equals a single run exactly."""

from __future__ import annotations

import json

import pytest

from perbench.cli import main


def _run(args, capsys):
    code = main(args)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


def _load(folder):
    results = json.loads(next(folder.glob("*.results.json")).read_text())
    rows = (folder / results["per_sample"]).read_text()
    return results, rows


@pytest.mark.parametrize(("protocol", "shards"), [("strict", 2), ("official", 3)])
def test_merge_equals_single_run(
    protocol, shards, release_path, tricky, wordnet, jsonl, tmp_path, capsys
):
    entries, _ = tricky
    path = jsonl(tmp_path / "pred.jsonl", entries)
    base = ["evaluate", "--release", str(release_path), "--predictions", str(path)]
    base += ["--model", "tricky", "--revision", "r1", "--protocol", protocol, "--allow-missing"]
    out = _run(base + ["--out", str(tmp_path / "single")], capsys)
    assert "| Model | METEOR | Acc | cIoU | gIoU | Overall |" in out
    for shard in range(shards):
        _run(base + ["--out", str(tmp_path / "parts"), "--shard", f"{shard}/{shards}"], capsys)
    partials = sorted(str(p) for p in (tmp_path / "parts").glob("*.partial.json"))
    assert len(partials) == shards
    _run(["evaluate", "--merge", *partials, "--out", str(tmp_path / "merged")], capsys)
    single, single_rows = _load(tmp_path / "single")
    merged, merged_rows = _load(tmp_path / "merged")
    for key in ("metrics", "counts", "headline", "benchmark", "model", "predictions", "tasks"):
        assert merged[key] == single[key], key
    assert merged_rows == single_rows
    assert single["headline"]["overall"] is not None


def test_merge_refuses_incomplete_shards(release_path, tricky, jsonl, tmp_path, capsys):
    entries, _ = tricky
    path = jsonl(tmp_path / "pred.jsonl", entries)
    args = ["evaluate", "--release", str(release_path), "--predictions", str(path), "--model"]
    args += ["m", "--allow-missing", "--tasks", "mcq", "--out", str(tmp_path), "--shard", "1/2"]
    _run(args, capsys)
    partial = next(tmp_path.glob("*.partial.json"))
    assert main(["evaluate", "--merge", str(partial), "--out", str(tmp_path / "m")]) == 2
    assert "exactly once" in capsys.readouterr().err
    args[-1] = "3/2"
    assert main(args) == 2
    assert "need 0 <= i < n" in capsys.readouterr().err


def test_a_task_named_twice_is_scored_once(release_path, release, tricky, jsonl, tmp_path, capsys):
    entries, _ = tricky
    path = jsonl(tmp_path / "pred.jsonl", entries)
    args = ["evaluate", "--release", str(release_path), "--predictions", str(path), "--model"]
    args += ["m", "--allow-missing", "--tasks", "mcq", "mcq", "--out", str(tmp_path / "parts")]
    for shard in range(2):
        _run(args + ["--shard", f"{shard}/2"], capsys)
    partials = sorted(str(p) for p in (tmp_path / "parts").glob("*.partial.json"))
    _run(["evaluate", "--merge", *partials, "--out", str(tmp_path / "merged")], capsys)
    merged, rows = _load(tmp_path / "merged")
    assert merged["tasks"] == ["mcq"]
    assert merged["counts"]["expected"] == release.count("mcq") == len(rows.splitlines())


def test_merge_names_a_partial_file_lacking_a_field(release_path, tricky, jsonl, tmp_path, capsys):
    entries, _ = tricky
    path = jsonl(tmp_path / "pred.jsonl", entries)
    args = ["evaluate", "--release", str(release_path), "--predictions", str(path), "--model"]
    args += ["m", "--allow-missing", "--tasks", "mcq", "--out", str(tmp_path / "parts")]
    for shard in range(2):
        _run(args + ["--shard", f"{shard}/2"], capsys)
    partials = sorted((tmp_path / "parts").glob("*.partial.json"))
    data = json.loads(partials[1].read_text())
    del data["states"]
    partials[1].write_text(json.dumps(data))
    code = main(["evaluate", "--merge", *map(str, partials), "--out", str(tmp_path / "m")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "'states'" in err and str(partials[1]) in err
