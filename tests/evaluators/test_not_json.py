"""V-T RES answers given as text: JSON masks are read, anything else is scored as missing and
counted by name (``not_json``) in ``perbench evaluate`` and in the lmms-eval task."""

from __future__ import annotations

import json

from evaluators.api import evaluate
from evaluators.lmms_tasks import aggregate_not_json, parse_prediction
from evaluators.submission import NotMasks
from perbench.masks import full_rle


def entries(samples) -> dict[str, object]:
    value = {"description": "a chair", "mcq": "A"}
    return {s.id: value.get(s.task) for s in samples}


def vt_res_with_targets(samples):
    return [s for s in samples if s.task == "vt_res" and s.targets]


def test_text_answers_are_read_or_counted_by_name(release_path, samples, jsonl, tmp_path):
    answers = entries(samples)
    first, second = vt_res_with_targets(samples)[:2]
    as_json = full_rle(second.height, second.width)
    answers[first.id] = "the chair on the left"
    answers[second.id] = json.dumps(as_json)
    path = jsonl(tmp_path / "text.jsonl", [{"id": k, "prediction": v} for k, v in answers.items()])
    results = evaluate(release_path, path, "m", out_dir=tmp_path / "out", progress=False)
    counts = results["counts"]
    assert counts["not_json"] == 1 and counts["per_task"]["vt_res"]["not_json"] == 1
    assert counts["per_task"]["vt_res"]["scored"] == counts["per_task"]["vt_res"]["expected"]
    rows = [json.loads(line) for line in (tmp_path / "out" / results["per_sample"]).open()]
    flagged = [row for row in rows if "not_json" in row]
    assert [row["id"] for row in flagged] == [first.id]
    assert flagged[0]["not_json"].startswith("not JSON")
    # the same as leaving the text answer out and writing the JSON one as an object
    answers.pop(first.id)
    answers[second.id] = as_json
    plain = jsonl(
        tmp_path / "plain.jsonl", [{"id": k, "prediction": v} for k, v in answers.items()]
    )
    expected = evaluate(release_path, plain, "m", allow_missing=True, progress=False)
    assert results["metrics"]["vt_res"] == expected["metrics"]["vt_res"]


def test_the_lmms_task_counts_them_under_the_same_name():
    assert isinstance(parse_prediction("vt_res", "the chair", 4, 4), NotMasks)
    wrong_size = parse_prediction("vt_res", json.dumps(full_rle(5, 5)), 4, 4)
    assert isinstance(wrong_size, NotMasks) and "image size" in wrong_size.reason
    assert parse_prediction("vt_res", "[" * 100_000, 4, 4).reason.startswith("not JSON")
    assert parse_prediction("vt_res", "null", 4, 4) == []
    items = [{"task": "vt_res", "not_json": flag} for flag in (True, False, True)]
    assert aggregate_not_json(items) == 2
