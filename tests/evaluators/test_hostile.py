"""Hostile submissions: each ends in a clear message (line and sample id) and exit status 2."""

from __future__ import annotations

import json

import pytest

from evaluators import submission
from perbench.cli import main
from perbench.masks import empty_rle, encode


@pytest.fixture(scope="module")
def ids(samples):
    first = {}
    for sample in samples:
        if sample.task not in first and (sample.task != "vt_res" or sample.targets):
            first[sample.task] = sample
    return first


def good_entries(samples) -> list[dict]:
    value = {"description": "a chair", "mcq": "A", "vt_res": None}
    return [{"id": s.id, "prediction": value[s.task]} for s in samples]


def run_cli(release_path, path, tmp_path, capsys, *extra):
    code = main(
        ["evaluate", "--release", str(release_path), "--predictions", str(path), "--model", "m"]
        + ["--out", str(tmp_path / "out"), *extra]
    )
    captured = capsys.readouterr()
    return code, captured.err


def replaced(samples, sample_id, line):
    """The good file's lines with ``sample_id``'s line replaced (str/bytes kept raw)."""
    out = []
    for entry in good_entries(samples):
        out.append(line if entry["id"] == sample_id else entry)
    return out


def line_of(samples, sample_id) -> int:
    return [s.id for s in samples].index(sample_id) + 1


def cases(samples, ids):
    d, m, v = ids["description"], ids["mcq"], ids["vt_res"]
    h, w = v.height, v.width
    other_size = encode(__import__("numpy").zeros((h, w + 1), "uint8"))
    n = len(samples)
    return {
        "not json": (
            replaced(samples, d.id, f'{{"id": "{d.id}", "prediction": "oops'),
            d,
            "not valid JSON",
        ),
        "not utf-8": (
            replaced(samples, d.id, f'{{"id": "{d.id}", "prediction": "caf'.encode() + b'\xe9"}'),
            d,
            "not UTF-8",
        ),
        "unknown id": (
            good_entries(samples) + [{"id": "no-such-sample", "prediction": "x"}],
            (n + 1, "no-such-sample"),
            "unknown id",
        ),
        "duplicate id": (
            good_entries(samples) + [{"id": d.id, "prediction": "x"}],
            (n + 1, d.id),
            "already predicted on line",
        ),
        "description not text": (
            replaced(samples, d.id, {"id": d.id, "prediction": 42}),
            d,
            "must be a string, got int",
        ),
        "mcq not text": (
            replaced(samples, m.id, {"id": m.id, "prediction": ["A"]}),
            m,
            "must be a string, got list",
        ),
        "mcq null": (replaced(samples, m.id, {"id": m.id, "prediction": None}), m, "got null"),
        "vt_res number": (
            replaced(samples, v.id, {"id": v.id, "prediction": 42}),
            v,
            "must be an RLE",
        ),
        "mask size": (
            replaced(samples, v.id, {"id": v.id, "prediction": empty_rle(h + 1, w)}),
            v,
            "differs from the image size",
        ),
        "corrupt counts": (
            replaced(samples, v.id, {"id": v.id, "prediction": {"size": [h, w], "counts": "!!{}"}}),
            v,
            "corrupt RLE counts",
        ),
        "counts cover wrong area": (
            replaced(
                samples,
                v.id,
                {"id": v.id, "prediction": {"size": [h, w], "counts": other_size["counts"]}},
            ),
            v,
            "runs cover",
        ),
        "negative runs": (
            replaced(
                samples,
                v.id,
                {"id": v.id, "prediction": {"size": [h, w], "counts": [-1, h * w + 1]}},
            ),
            v,
            "non-negative",
        ),
        "float size": (
            replaced(
                samples,
                v.id,
                {
                    "id": v.id,
                    "prediction": {
                        "size": [float(h), float(w)],
                        "counts": empty_rle(h, w)["counts"],
                    },
                },
            ),
            v,
            "'size' must be",
        ),
        "NaN": (replaced(samples, m.id, f'{{"id": "{m.id}", "prediction": NaN}}'), m, "NaN"),
        "Infinity in polygon": (
            replaced(
                samples, v.id, f'{{"id": "{v.id}", "prediction": [[0, 0, Infinity, 5, 5, 5]]}}'
            ),
            v,
            "Infinity",
        ),
        "JSON array file": ([json.dumps(good_entries(samples))], (1, None), "JSON Lines"),
        "not an object": (replaced(samples, d.id, "42"), (line_of(samples, d.id), None), "got int"),
        "no id": (
            replaced(samples, d.id, {"prediction": "x"}),
            (line_of(samples, d.id), None),
            "'id' must be",
        ),
        "id not text": (
            replaced(samples, d.id, {"id": 7, "prediction": "x"}),
            (line_of(samples, d.id), None),
            "'id' must be",
        ),
        "no prediction key": (
            replaced(samples, d.id, {"id": d.id, "answer": "x"}),
            d,
            "no 'prediction' key",
        ),
        "missing sample": (
            [e for e in good_entries(samples) if e["id"] != d.id],
            (None, d.id),
            "have no prediction",
        ),
        "empty file": ([], (None, d.id), f"{n} samples have no prediction"),
        "unpaired surrogate": (
            replaced(samples, d.id, {"id": d.id, "prediction": "a chair \ud800"}),
            d,
            "unpaired surrogate",
        ),
        "mask list with null": (
            replaced(samples, v.id, {"id": v.id, "prediction": [empty_rle(h, w), None]}),
            v,
            "mask 1 is null",
        ),
    }


CASE_NAMES = [
    "not json",
    "not utf-8",
    "unknown id",
    "duplicate id",
    "description not text",
    "mcq not text",
    "mcq null",
    "vt_res number",
    "mask size",
    "corrupt counts",
    "counts cover wrong area",
    "negative runs",
    "float size",
    "NaN",
    "Infinity in polygon",
    "JSON array file",
    "not an object",
    "no id",
    "id not text",
    "no prediction key",
    "missing sample",
    "empty file",
    "unpaired surrogate",
    "mask list with null",
]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_hostile_file(name, release_path, samples, ids, jsonl, tmp_path, capsys):
    lines, who, fragment = cases(samples, ids)[name]
    path = jsonl(tmp_path / "bad.jsonl", lines)
    code, err = run_cli(release_path, path, tmp_path, capsys)
    assert code == 2
    assert "Traceback" not in err
    assert fragment in err
    assert str(path) in err
    line, sample_id = (line_of(samples, who.id), who.id) if hasattr(who, "id") else who
    if line is not None and sample_id is not None:
        assert f"line {line}, sample {sample_id!r}:" in err
    elif line is not None:
        assert f"line {line}:" in err
    if sample_id is not None:
        assert repr(sample_id) in err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.json"))


def test_every_problem_reported_at_once(release_path, samples, ids, jsonl, tmp_path, capsys):
    d, m, v = ids["description"], ids["mcq"], ids["vt_res"]
    lines = []
    for entry in good_entries(samples):
        if entry["id"] == d.id:
            entry = {"id": d.id, "prediction": 1}
        elif entry["id"] == m.id:
            entry = "{broken"
        elif entry["id"] == v.id:
            entry = {"id": v.id, "prediction": {"size": [1, 1], "counts": "1"}}
        lines.append(entry)
    code, err = run_cli(release_path, jsonl(tmp_path / "bad.jsonl", lines), tmp_path, capsys)
    assert code == 2
    assert f"line {line_of(samples, d.id)}, sample {d.id!r}" in err
    assert f"line {line_of(samples, m.id)}:" in err
    assert f"line {line_of(samples, v.id)}, sample {v.id!r}" in err
    assert "4 problem(s)" in err  # three bad lines + the sample whose line was unreadable


def test_problems_are_capped(release_path, samples, jsonl, tmp_path, capsys):
    extra = [{"id": f"unknown-{i}", "prediction": "x"} for i in range(70)]
    path = jsonl(tmp_path / "bad.jsonl", good_entries(samples) + extra)
    code, err = run_cli(release_path, path, tmp_path, capsys)
    assert code == 2
    assert err.count("unknown id") == submission.MAX_PROBLEMS
    assert "... and 20 more problems" in err


@pytest.mark.parametrize("limit", ["MAX_LINE_BYTES", "MAX_TEXT_CHARS"])
def test_oversized(limit, release_path, samples, ids, jsonl, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(submission, limit, 500)
    d = ids["description"]
    lines = replaced(samples, d.id, {"id": d.id, "prediction": "word " * 400})
    code, err = run_cli(release_path, jsonl(tmp_path / "bad.jsonl", lines), tmp_path, capsys)
    assert code == 2 and "Traceback" not in err
    assert f"line {line_of(samples, d.id)}, sample {d.id!r}" in err
    assert ("line longer than" if limit == "MAX_LINE_BYTES" else "characters; at most") in err


def test_allow_missing_scores_them_wrong(release_path, samples, ids, jsonl, tmp_path, capsys):
    m = ids["mcq"]
    lines = [e for e in good_entries(samples) if e["id"] != m.id]
    path = jsonl(tmp_path / "p.jsonl", lines)
    code, out_err = run_cli(
        release_path, path, tmp_path, capsys, "--allow-missing", "--tasks", "mcq", "vt_res"
    )
    assert code == 0
    saved = json.loads(next((tmp_path / "out").glob("*.results.json")).read_text())
    assert saved["counts"]["missing"] == 1
    assert saved["counts"]["per_task"]["mcq"]["missing"] == 1


def test_bom_and_blank_lines_are_fine(release_path, samples, jsonl, tmp_path, capsys):
    lines = [json.dumps(e) for e in good_entries(samples)]
    lines = ["\ufeff" + lines[0]] + lines[1:] + ["", "   "]
    path = jsonl(tmp_path / "p.jsonl", lines)
    code, err = run_cli(release_path, path, tmp_path, capsys, "--tasks", "mcq", "vt_res")
    assert code == 0, err


def test_bad_mask_in_a_list_is_named(release_path, samples, ids, jsonl, tmp_path, capsys):
    v = ids["vt_res"]
    bad = {"size": [v.height, v.width], "counts": "!!"}
    lines = replaced(samples, v.id, {"id": v.id, "prediction": [empty_rle(v.height, v.width), bad]})
    code, err = run_cli(release_path, jsonl(tmp_path / "bad.jsonl", lines), tmp_path, capsys)
    assert code == 2
    assert f"line {line_of(samples, v.id)}, sample {v.id!r}: mask 1: corrupt RLE counts" in err


def test_crlf_bom_and_trailing_blank_line(release_path, samples, jsonl, tmp_path, capsys):
    lines = [json.dumps(e) for e in good_entries(samples)]
    body = "\ufeff" + "\r\n".join(lines) + "\r\n\r\n"
    path = tmp_path / "p.jsonl"
    path.write_bytes(body.encode("utf-8"))
    code, err = run_cli(release_path, path, tmp_path, capsys, "--tasks", "mcq", "vt_res")
    assert code == 0, err
    saved = json.loads(next((tmp_path / "out").glob("*.results.json")).read_text())
    assert saved["counts"]["scored"] == saved["counts"]["expected"]


def test_a_huge_unknown_id_is_shortened(release_path, samples, jsonl, tmp_path, capsys):
    huge = "x" * 100_000
    lines = good_entries(samples) + [{"id": huge, "prediction": "x"}]
    code, err = run_cli(release_path, jsonl(tmp_path / "bad.jsonl", lines), tmp_path, capsys)
    assert code == 2 and "unknown id" in err
    assert len(err) < 2_000
