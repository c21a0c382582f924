"""The official protocol against an independent re-implementation of the authors' functions.

The reference below is written from DESIGN.md's "Metric facts" on dense numpy masks, not from
the evaluator's code: NLTK METEOR with the prediction as reference and the ground truth as
hypothesis, the substring MCQ rule, and first-mask V-T RES with I/(U+1e-5) (+1 when U = 0),
gIoU over the number of ground-truth masks and cIoU = sum I / (sum U + 1e-10); a None prediction
is skipped but its targets stay in gIoU's denominator; descriptions lose ``<Prompt0>`` and
``<|endoftext|>`` and are trimmed.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from nltk.translate.meteor_score import meteor_score

from evaluators.api import evaluate
from evaluators.mcq_metrics import official_hit
from evaluators.wordnet import wordnet_reader
from perbench.masks import decode
from perbench.schema import OPTION_LETTERS


def reference_official(samples, predictions: dict) -> dict:
    meteors, hits = [], []
    inter_sum = union_sum = 0
    giou_sum, gt_masks = 0.0, 0
    for sample in samples:
        pred = predictions.get(sample.id)
        if sample.task == "description":
            pred = (pred or "").replace("<Prompt0>", "").replace("<|endoftext|>", "").strip()
            meteors.append(meteor_score([pred.split()], sample.references[0].split()))
        elif sample.task == "mcq":
            hits.append(OPTION_LETTERS[sample.answer] in (pred or ""))
        else:
            if not sample.targets:
                continue
            gt_masks += len(sample.targets)
            if isinstance(pred, dict):
                pred = [pred]
            if not pred:  # None: skipped, its targets still in the denominator
                continue
            first = decode(pred[0])
            target = decode(sample.targets[0])
            inter = int(np.logical_and(first, target).sum())
            union = int(np.logical_or(first, target).sum())
            inter_sum += inter
            union_sum += union
            giou_sum += inter / (union + 1e-5) + (1.0 if union == 0 else 0.0)
    return {
        "meteor": sum(meteors) / len(meteors),
        "accuracy": sum(hits) / len(hits),
        "ciou": inter_sum / (union_sum + 1e-10),
        "giou": giou_sum / gt_masks,
    }


def test_official_matches_reimplementation(release, samples, tricky, wordnet, jsonl, tmp_path):
    entries, missing = tricky
    path = jsonl(tmp_path / "pred.jsonl", entries)
    results = evaluate(
        release, path, "tricky", protocol="official", allow_missing=True, progress=False
    )
    expected = reference_official(samples, {e["id"]: e["prediction"] for e in entries})
    got = results["headline"]
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-15), key
    assert results["counts"]["missing"] == len(missing) == 3
    assert results["protocol"] == "official"
    # the tricky cases really occur: "A B C D" scores, a wrong first mask hides a right second
    assert 0 < expected["accuracy"] < 1 and 0 < expected["giou"]


def test_substring_rule_keeps_the_authors_hole():
    assert official_hit("A B C D", 2)
    assert official_hit("I think (B)", 1)
    assert not official_hit("b", 1)  # case-sensitive, as a Python substring test is


def test_meteor_argument_order_is_the_authors(wordnet):
    prediction = "a chair"
    truth = "a wooden chair standing at the table"
    from evaluators.text_metrics import official_meteor

    swapped = meteor_score([prediction.split()], truth.split())
    assert official_meteor(prediction, truth, wordnet_reader()) == swapped
    assert swapped != meteor_score([truth.split()], prediction.split())


def test_per_sample_rows_written(release, samples, tricky, wordnet, jsonl, tmp_path):
    entries, _ = tricky
    path = jsonl(tmp_path / "pred.jsonl", entries)
    results = evaluate(
        release,
        path,
        "tricky",
        protocol="official",
        out_dir=tmp_path / "out",
        allow_missing=True,
        progress=False,
    )
    rows = [json.loads(line) for line in (tmp_path / "out" / results["per_sample"]).open()]
    assert [r["id"] for r in rows] == [s.id for s in samples]
    assert sum(r["missing"] for r in rows) == 3
    saved = json.loads(next((tmp_path / "out").glob("*.results.json")).read_text())
    assert saved["benchmark"]["fingerprint"] == release.fingerprint
    assert saved["model"] == {"name": "tricky", "revision": None, "recipe": None}
    assert saved["evaluator"]["version"].startswith("perbench-evaluators")
