"""The strict protocol: METEOR 1.5 equals pycocoevalcap's scorer; MCQ extraction; union IoU."""

from __future__ import annotations

import numpy as np
import pytest
from pycocoevalcap.meteor.meteor import Meteor

from evaluators.api import evaluate
from evaluators.mcq_metrics import extract_option
from evaluators.meteor_jvm import MeteorJVM
from evaluators.text_metrics import METEOR_STATS
from perbench.masks import decode

HYPOTHESES = [
    "a wooden chair at the table",
    "man rides horse at beach",
    "a red bottle",
    "",
    "the person sitting near the window of the cafeteria with a tray",
]
REFERENCES = [
    ["a wooden chair standing at the dining table", "the chair"],
    ["a man riding a horse on the beach", "a person on a horse"],
    ["a green glass bottle on the table"],
    ["a person in a cafeteria"],
    ["a person sitting at the table in a cafeteria", "someone eating", "a seated man"],
]


def test_meteor15_equals_pycocoevalcap():
    with MeteorJVM() as jvm:
        stats = [jvm.stats(h, r) for h, r in zip(HYPOTHESES, REFERENCES, strict=True)]
        ours, ours_corpus = jvm.scores(stats)
        broken = jvm.scores([jvm.stats("bad\nline ||| here", ["bad line here"])])[0][0]
    assert len(stats[0].split()) == METEOR_STATS
    theirs_corpus, theirs = Meteor().compute_score(
        {i: refs for i, refs in enumerate(REFERENCES)},
        {i: [hyp] for i, hyp in enumerate(HYPOTHESES)},
    )
    assert ours == pytest.approx(theirs, abs=1e-6)
    assert ours_corpus == pytest.approx(theirs_corpus, abs=1e-6)
    # a newline or '|||' in a prediction is scored as the clean text, not a broken pipe
    assert broken == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("B", 1),
        ("(b)", 1),
        ("C.", 2),
        ("The answer is D", 3),
        ("Option B is correct.", 1),
        ("person", 1),
        ("A person.", 1),  # "A" the article, then the option text
        ("a red sofa", None),  # names no option
        ("a red chair", 0),
        ("A B C D", None),
        ("B. chair", None),  # letter and text disagree
        ("E", None),  # no such option
        ("", None),
        ("A and B", None),  # two letters; "A" before "and" is not the article
        ("A or B", None),
        ("Option A is correct.", 0),
        ("A is the answer", 0),
        ("The answer is A because of its legs", 0),
        ("Answer: A", 0),
        ("I think B", 1),  # "I" the pronoun
    ],
)
def test_extract_option(text, expected):
    assert extract_option(text, ["chair", "person", "bottle", "diningtable"]) == expected


def test_extract_option_prefers_longer_option_text():
    assert extract_option("the red chair", ["chair", "red chair"]) == 1


def test_extract_option_ignores_letters_inside_the_named_option_text():
    options = ["vitamin C", "vitamin D", "iron", "zinc"]
    assert extract_option("Vitamin D.", options) == 1
    assert extract_option("B. vitamin D", options) == 1
    assert extract_option("C. vitamin D", options) is None  # letter and text disagree


def reference_strict_vtres(samples, predictions: dict) -> dict:
    inter_sum = union_sum = 0
    ious = []
    for sample in samples:
        if sample.task != "vt_res":
            continue
        answered = sample.id in predictions
        pred = predictions.get(sample.id)
        pred = [pred] if isinstance(pred, dict) else pred or []
        shape = (sample.height, sample.width)
        predicted = np.zeros(shape, bool)
        for mask in pred:
            predicted |= decode(mask).astype(bool)
        target = np.zeros(shape, bool)
        for mask in sample.targets:
            target |= decode(mask).astype(bool)
        inter, union = int((predicted & target).sum()), int((predicted | target).sum())
        inter_sum, union_sum = inter_sum + inter, union_sum + union
        ious.append(inter / union if union else float(answered))
    return {"ciou": inter_sum / union_sum, "giou": sum(ious) / len(ious), "ious": ious}


def test_strict_mcq_and_vtres(release, samples, tricky, jsonl, tmp_path):
    entries, missing = tricky
    predictions = {e["id"]: e["prediction"] for e in entries}
    path = jsonl(tmp_path / "pred.jsonl", entries)
    results = evaluate(
        release, path, "tricky", allow_missing=True, tasks=["mcq", "vt_res"], progress=False
    )
    vt = results["metrics"]["vt_res"]
    expected = reference_strict_vtres(samples, predictions)
    assert vt["ciou"] == pytest.approx(expected["ciou"], rel=1e-12)
    assert vt["giou"] == pytest.approx(expected["giou"], rel=1e-12)
    assert vt["precision@0.5"] == sum(i >= 0.5 for i in expected["ious"]) / len(expected["ious"])
    no_target = [s for s in samples if s.task == "vt_res" and not s.targets]
    assert vt["n_acc"] is not None and len(no_target) == 2
    mcq = [s for s in samples if s.task == "mcq"]
    chosen = {
        s.id: extract_option(predictions[s.id], s.options) if s.id in predictions else None
        for s in mcq
    }
    hits = sum(chosen[s.id] == s.answer for s in mcq)
    assert results["metrics"]["mcq"]["accuracy"] == hits / len(mcq)
    assert results["metrics"]["mcq"]["invalid"] == sum(c is None for c in chosen.values())
    assert results["counts"]["invalid"] == results["metrics"]["mcq"]["invalid"]
    assert results["metrics"]["mcq"]["circular_groups"] == 4
    assert results["headline"]["overall"] is None  # description not scored


def test_circular_accuracy(release, samples, jsonl, tmp_path):
    from perbench.schema import OPTION_LETTERS

    mcq = [s for s in samples if s.task == "mcq"]
    rotated = [s for s in mcq if s.meta["circular"]["group"] == "q0"]
    wrong_once = rotated[0].id
    entries = [
        {
            "id": s.id,
            "prediction": OPTION_LETTERS[(s.answer + (s.id == wrong_once)) % len(s.options)],
        }
        for s in mcq
    ]
    results = evaluate(
        release, jsonl(tmp_path / "p.jsonl", entries), "m", tasks=["mcq"], progress=False
    )
    assert results["metrics"]["mcq"]["accuracy"] == (len(mcq) - 1) / len(mcq)
    assert results["metrics"]["mcq"]["circular_accuracy"] == 3 / 4
