"""Issue 20 on the evaluator side: partial files, polygon counts, VLMEvalKit tables, leaderboard
fields, long names and a full disk, each a one-line error (exit 2) with nothing half-written."""

from __future__ import annotations

import errno
import json

import pytest

from evaluators import results as results_module
from evaluators.results import results_stem
from perbench.cli import main
from perbench.limits import limits_in_force
from tests.evaluators.test_leaderboard import fake_result


def _entries(samples, vt_res=None):
    value = {"description": "a chair", "mcq": "A", "vt_res": vt_res}
    return [{"id": s.id, "prediction": value[s.task]} for s in samples]


def _one_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


@pytest.fixture
def partials(release_path, samples, jsonl, tmp_path, capsys):
    path = jsonl(tmp_path / "pred.jsonl", _entries(samples))
    args = ["evaluate", "--release", str(release_path), "--predictions", str(path), "--model"]
    args += ["m", "--tasks", "mcq", "--out", str(tmp_path / "parts")]
    for shard in range(2):
        assert main(args + ["--shard", f"{shard}/2"]) == 0
    capsys.readouterr()
    return sorted((tmp_path / "parts").glob("*.partial.json"))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.update(shard=[0, 50_000_000]), "over the limit"),
        (lambda d: d.update(shard=[0, 10**12]), "over the limit"),
        (lambda d: d.update(shard="ab"), "two ints"),
        (lambda d: d.update(tasks=["pwn"]), "'tasks'"),
        (lambda d: d["states"]["mcq"].update(correct={"fraction": "1e2000000000"}), "'n/d'"),
        (lambda d: d["states"]["mcq"].update(correct={"fraction": "1/0"}), "zero denominator"),
        (lambda d: d["counts"]["mcq"].update(scored="many"), "'counts'"),
    ],
)
def test_merge_validates_partial_files(partials, tmp_path, capsys, change, message):
    data = json.loads(partials[1].read_text())
    change(data)
    partials[1].write_text(json.dumps(data))
    code = main(["evaluate", "--merge", *map(str, partials), "--out", str(tmp_path / "m")])
    err = _one_error(capsys)
    assert code == 2 and message in err
    assert not (tmp_path / "m").exists() or not list((tmp_path / "m").iterdir())


def test_a_line_of_many_tiny_polygons_is_refused_by_count(
    release_path, samples, jsonl, tmp_path, capsys
):
    polygons = [[0, 0, 1, 0, 1, 1]] * 200
    path = jsonl(tmp_path / "p.jsonl", _entries(samples, vt_res=polygons))
    argv = ["evaluate", "--release", str(release_path), "--predictions", str(path), "--model"]
    with limits_in_force({"polygon_parts": 100}):
        assert main([*argv, "m", "--out", str(tmp_path / "out")]) == 2
    err = _one_error(capsys)
    assert "polygon_parts" in err and "sample" in err
    with limits_in_force({"polygon_vertices": 300}):
        assert main([*argv, "m", "--out", str(tmp_path / "out")]) == 2
    assert "polygon_vertices" in _one_error(capsys)


def test_a_deeply_nested_prediction_line_is_one_problem(
    release_path, samples, jsonl, tmp_path, capsys
):
    path = jsonl(tmp_path / "p.jsonl", _entries(samples))
    with open(path, "a") as handle:
        handle.write('{"id": "x", "prediction": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    argv = ["evaluate", "--release", str(release_path), "--predictions", str(path), "--model"]
    assert main([*argv, "m", "--out", str(tmp_path / "out")]) == 2
    assert "json_depth" in _one_error(capsys)


@pytest.mark.parametrize(
    "content", [b"", b"index\tprediction\n1\tA\textra\tcells\n2\n", b"index,prediction\n1,\xff\n"]
)
def test_vlmevalkit_tables_that_pandas_cannot_read(release_path, tmp_path, capsys, content):
    table = tmp_path / ("m_PerBench_MCQ.csv" if b"," in content else "m_PerBench_MCQ.tsv")
    table.write_bytes(content)
    args = ["export", "vlmevalkit-predictions", str(release_path), str(table)]
    assert main([*args, "--out", str(tmp_path / "p.jsonl")]) == 2
    err = _one_error(capsys)
    assert err.startswith("error:") and str(table) in err


@pytest.mark.parametrize(
    "where, value, message",
    [("recipe", {"train": {"lr": "fast"}}, None), ("audit", "yes", "benchmark.audit")],
)
def test_leaderboard_fields_of_the_wrong_type(tmp_path, capsys, where, value, message):
    path = fake_result(tmp_path, "a", "m", (0.1, 0.2, 0.3, 0.4))
    data = json.loads(path.read_text())
    if where == "recipe":
        data["model"]["recipe"] = value
    else:
        data["benchmark"]["audit"] = value
    path.write_text(json.dumps(data))
    code = main(["leaderboard", str(path), "--out", str(tmp_path / "board")])
    err = _one_error(capsys)
    if message is None:
        assert code == 0 and "lr fast" in (tmp_path / "board" / "leaderboard.md").read_text()
    else:
        assert code == 2 and message in err


def test_long_model_names_make_short_distinct_file_names(release_path, samples, jsonl, tmp_path):
    stems = {results_stem("m" * 5000 + tail, "1.0", "strict", "r" * 900) for tail in "ab"}
    assert len(stems) == 2 and all(len(s) < 200 for s in stems)
    path = jsonl(tmp_path / "p.jsonl", _entries(samples))
    argv = ["evaluate", "--release", str(release_path), "--predictions", str(path)]
    assert (
        main([*argv, "--model", "é" * 300, "--out", str(tmp_path / "out"), "--tasks", "mcq"]) == 0
    )


def test_disk_full_leaves_no_per_sample_rows(
    release_path, samples, jsonl, tmp_path, capsys, monkeypatch
):
    def full_disk(path, text):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(results_module, "write_text_atomic", full_disk)
    path = jsonl(tmp_path / "p.jsonl", _entries(samples))
    out = tmp_path / "out"
    argv = ["evaluate", "--release", str(release_path), "--predictions", str(path), "--model"]
    assert main([*argv, "m", "--out", str(out), "--tasks", "mcq"]) == 2
    assert "no space left" in _one_error(capsys)
    assert list(out.iterdir()) == []
