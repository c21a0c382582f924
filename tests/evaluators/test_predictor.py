"""The Predictor protocol: resume, the MCQ prompt, and the baselines built on it."""

from __future__ import annotations

import json

from evaluators.baselines import BASELINES, majority_letter, run_baselines
from evaluators.leaderboard import build_leaderboard
from evaluators.predictor import predict_and_evaluate, predict_release
from perbench.prompts import format_mcq_prompt


class CountingPredictor:
    def __init__(self):
        self.seen = []

    def predict(self, sample):
        self.seen.append(sample.id)
        assert isinstance(sample.image, bytes)
        return {"description": "a chair", "mcq": "B", "vt_res": None}[sample.task]


def test_resume_skips_done_and_drops_a_cut_line(release, samples, tmp_path):
    path = tmp_path / "pred.jsonl"
    done = [{"id": s.id, "prediction": "x"} for s in samples if s.task == "mcq"][:2]
    cut = json.dumps({"id": samples[-1].id, "prediction": None})[:-5]
    path.write_text("".join(json.dumps(d) + "\n" for d in done) + cut)
    predictor = CountingPredictor()
    predict_release(release, predictor, path, tasks=["mcq", "vt_res"], progress=False)
    assert len(predictor.seen) == release.count("mcq") + release.count("vt_res") - 2
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [d["id"] for d in lines[:2]] == [d["id"] for d in done]
    assert len({d["id"] for d in lines}) == len(lines) == len(predictor.seen) + 2


def test_predict_and_evaluate(release, tmp_path):
    results = predict_and_evaluate(
        release,
        CountingPredictor(),
        tmp_path / "p.jsonl",
        "counting",
        tasks=["mcq"],
        out_dir=tmp_path / "out",
        progress=False,
    )
    assert results["counts"]["scored"] == release.count("mcq")
    assert (tmp_path / "out" / results["per_sample"]).is_file()


def test_mcq_prompt(samples):
    sample = next(s for s in samples if s.task == "mcq")
    lines = format_mcq_prompt(sample).splitlines()
    assert lines[0] == sample.question
    assert lines[1:-1] == [
        f"{letter}. {o}" for letter, o in zip("ABCD", sample.options, strict=True)
    ]
    assert lines[-1] == "Answer with the option's letter."


def test_majority_letter(release, samples):
    letters = ["ABCD"[s.answer] for s in samples if s.task == "mcq"]
    assert majority_letter(release).letter == max(sorted(set(letters)), key=letters.count)


def test_baselines_and_leaderboard(release_path, tmp_path):
    paths = run_baselines(release_path, tmp_path / "b", progress=False)
    assert len(paths) == len(BASELINES)
    by_model = {}
    for path in paths:
        data = json.loads(path.read_text())
        by_model[data["model"]["name"]] = data["metrics"]
    assert by_model["baseline: empty-mask"]["vt_res"]["n_acc"] == 1.0
    assert by_model["baseline: empty-mask"]["vt_res"]["t_acc"] == 0.0
    assert by_model["baseline: whole-image"]["vt_res"]["t_acc"] == 1.0
    assert 0 < by_model["baseline: category-name"]["description"]["meteor"] < 1
    written = build_leaderboard(paths, tmp_path / "board")
    assert "baseline: always-a" in written["markdown"].read_text()


class PycocotoolsPredictor:
    """Returns masks as pycocotools makes them: bytes counts, numpy arrays."""

    def predict(self, sample):
        import numpy as np
        from pycocotools import mask as coco_mask

        dense = np.zeros((sample.height, sample.width), np.uint8)
        dense[: sample.height // 2] = 1
        rle = coco_mask.encode(np.asfortranarray(dense))
        return [rle, dense] if sample.targets else rle


def test_pycocotools_masks_are_written_as_json(release, tmp_path):
    path = predict_release(
        release, PycocotoolsPredictor(), tmp_path / "p.jsonl", ["vt_res"], progress=False
    )
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == release.count("vt_res")
    first = lines[0]["prediction"]
    masks = first if isinstance(first, list) else [first]
    assert all(isinstance(m["counts"], str) for m in masks)
