"""The official protocol's rules, each on a tiny release whose expected values are worked by hand.

Every expected number below is derived in the comments from the rule as DESIGN.md states it
(not from the authors' code, nor from the evaluator's):
- V-T RES: a None prediction adds nothing to sum I / sum U but its targets count in gIoU's
  denominator; a no-target sample is left out and counted; strict keeps missing = wrong.
- descriptions: ``<Prompt0>`` and ``<|endoftext|>`` removed and the text trimmed before scoring;
  NLTK METEOR and BLEU per sample, averaged; CIDEr over the corpus.
Images are 4x4, so every area can be counted on the fingers.
"""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
from PIL import Image

from evaluators.api import evaluate
from evaluators.caption_metrics import official_bleu, official_cider, official_postprocess
from perbench.masks import encode
from perbench.release import write_release
from perbench.schema import Sample

H = W = 4


def _mask(rows: slice, cols: slice):
    mask = np.zeros((H, W), np.uint8)
    mask[rows, cols] = 1
    return encode(mask)


TOP_LEFT = _mask(slice(0, 2), slice(0, 2))  # 4 px
BOTTOM_RIGHT = _mask(slice(2, 4), slice(2, 4))  # 4 px
TOP_ROW = _mask(slice(0, 1), slice(0, 4))  # 4 px, 2 of them in TOP_LEFT
BOTTOM_ROW = _mask(slice(3, 4), slice(0, 4))  # 4 px
LEFT_COLUMN = _mask(slice(0, 4), slice(0, 1))  # 4 px, 1 of them in BOTTOM_ROW


def _image() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (W, H), (90, 120, 150)).save(buffer, format="PNG")
    return buffer.getvalue()


def _sample(sid: str, task: str, **fields) -> Sample:
    return Sample(
        id=sid,
        task=task,
        image_id="tiny.png",
        width=W,
        height=H,
        question="the thing near <region1>",
        prompts=[{"tag": "<region1>", "mask": BOTTOM_RIGHT}],
        image=_image(),
        source={"dataset": "handmade", "ids": {}, "license": "CC0-1.0"},
        **fields,
    )


SAMPLES = [
    _sample("d1", "description", references=["the cat sat on a mat"]),
    _sample("d2", "description", references=["a dog"]),
    _sample("m1", "mcq", options=["cat", "dog", "mat", "sky"], answer=2),
    _sample("v_one", "vt_res", targets=[TOP_LEFT]),
    _sample("v_none_one", "vt_res", targets=[BOTTOM_RIGHT]),
    _sample("v_none_two", "vt_res", targets=[BOTTOM_ROW, LEFT_COLUMN]),
    _sample("v_exact", "vt_res", targets=[TOP_LEFT, BOTTOM_ROW]),
    _sample("v_no_target", "vt_res", targets=[]),
]
PREDICTIONS = [
    {"id": "d1", "prediction": "<Prompt0>the cat sat on a mat<|endoftext|> \n"},
    {"id": "d2", "prediction": ""},
    {"id": "m1", "prediction": "A B C D"},
    {"id": "v_one", "prediction": TOP_ROW},
    # v_none_one is missing from the file: None
    {"id": "v_none_two", "prediction": None},
    {"id": "v_exact", "prediction": [TOP_LEFT, BOTTOM_ROW]},
    {"id": "v_no_target", "prediction": []},
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    release = write_release(SAMPLES, folder / "release", "tiny", "0.1", progress=False)
    predictions = folder / "pred.jsonl"
    predictions.write_text("".join(json.dumps(entry) + "\n" for entry in PREDICTIONS))
    return release, predictions


def _score(tiny, protocol):
    release, predictions = tiny
    return evaluate(
        release, predictions, "hand", protocol=protocol, allow_missing=True, progress=False
    )


def test_official_vt_res_none_rule(tiny, wordnet):
    metrics = _score(tiny, "official")["metrics"]["vt_res"]
    # v_one: TOP_ROW vs TOP_LEFT: I = 2, U = 4 + 4 - 2 = 6
    # v_none_one (missing, one target) and v_none_two (null, two targets): skipped, 0 and 0,
    #   but 1 + 2 target masks in the denominator
    # v_exact: first mask TOP_LEFT vs first target TOP_LEFT: I = U = 4 (the second is unused)
    # v_no_target: left out, counted
    assert metrics["ciou"] == pytest.approx((2 + 4) / (6 + 4 + 1e-10), rel=1e-12)
    giou = (2 / (6 + 1e-5) + 4 / (4 + 1e-5)) / (1 + 1 + 2 + 2)
    assert metrics["giou"] == pytest.approx(giou, rel=1e-12)
    assert metrics["no_target_excluded"] == 1
    assert metrics["skipped_none"] == 2


def test_strict_vt_res_keeps_missing_wrong(tiny):
    metrics = _score(tiny, "strict")["metrics"]["vt_res"]
    # union vs union: v_one I 2 U 6; v_none_one I 0 U 4; v_none_two I 0 U 4 + 4 - 1 = 7;
    # v_exact I = U = 4 + 4 = 8; v_no_target empty vs empty (answered) I = U = 0, IoU 1
    assert metrics["ciou"] == pytest.approx((2 + 8) / (6 + 4 + 7 + 8), rel=1e-12)
    assert metrics["giou"] == pytest.approx((1 / 3 + 0 + 0 + 1 + 1) / 5, rel=1e-12)
    assert metrics["n_acc"] == 1.0 and metrics["t_acc"] == pytest.approx(2 / 4)


def test_official_descriptions_and_overall(tiny, wordnet):
    results = _score(tiny, "official")
    description = results["metrics"]["description"]
    # d1 after post-processing is the truth itself: 6 matches in one chunk, so
    # METEOR = 1 - 0.5 * (1/6)^3 = 1 - 1/432 and BLEU = 1; d2 (empty) scores 0 on both
    assert description["meteor"] == pytest.approx((1 - 1 / 432) / 2, rel=1e-12)
    assert description["bleu"] == pytest.approx(0.5, rel=1e-12)
    # CIDEr: document frequencies over the 2 predictions, so each n-gram of d1's prediction
    # weighs log 2 (it occurs in 1 of 2); d1's truth has the same n-grams, cosine 1 for n = 1..4,
    # score 10 * mean(1, 1, 1, 1) = 10; d2's prediction is empty, score 0; mean 5
    assert description["cider"] == pytest.approx(5.0, rel=1e-12)
    assert results["metrics"]["mcq"]["accuracy"] == 1.0
    ciou = 6 / (10 + 1e-10)
    giou = (2 / (6 + 1e-5) + 4 / (4 + 1e-5)) / 6
    meteor = (1 - 1 / 432) / 2
    overall = (100 * meteor + 100 * 1.0 + (100 * ciou + 100 * giou) / 2) / 3
    assert results["headline"]["overall"] == pytest.approx(overall, rel=1e-12)


def test_postprocess_rule():
    assert official_postprocess("  <Prompt0>A chair.<|endoftext|>\n") == "A chair."
    assert official_postprocess("<|endoftext|><Prompt0>") == ""
    # only the two tokens go: another prompt tag stays
    assert official_postprocess("<Prompt1> x") == "<Prompt1> x"


def test_bleu_rule_on_a_tiny_pair():
    # hypothesis (the truth) "the cat sat on a mat" against the prediction "the cat sat on the
    # mat": clipped n-gram precisions 5/6, 3/5, 2/4, 1/3, equal lengths (no brevity penalty)
    expected = (5 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25
    assert official_bleu("the cat sat on the mat", "the cat sat on a mat") == pytest.approx(
        expected, rel=1e-12
    )
    # a hypothesis shorter than 4 words has no 4-gram to match: 0 without smoothing (NLTK
    # puts the smallest float in place of the zero precision, so "0" is about 1e-77)
    assert official_bleu("a red chair", "a red chair") == pytest.approx(0.0, abs=1e-70)


def test_cider_rule_on_a_tiny_corpus():
    # predictions "a cat", "a dog" (the references): "a" is in both, weight log(2/2) = 0;
    # "cat", "dog", "a cat", "a dog" weigh log 2. Sample 1 (truth "a cat") has cosine 1 for
    # n = 1, 2 and nothing for n = 3, 4: 10 * (1 + 1 + 0 + 0) / 4 = 5. Sample 2 (truth "a cat"
    # against "a dog") shares only "a", of weight 0: score 0. CIDEr = 2.5
    assert official_cider(["a cat", "a dog"], ["A cat.", "a cat"]) == pytest.approx(2.5)
    assert not math.isnan(official_cider(["", "x"], ["", ""]))


def test_a_100000_character_description_is_scored(tiny, wordnet, tmp_path, capsys):
    from perbench.cli import main

    release, _ = tiny
    words = ("a cat sat on a mat near the old wooden door " * 10_000)[:100_000]
    lines = [{"id": "d1", "prediction": words}]
    path = tmp_path / "long.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    results = evaluate(
        release, path, "long", protocol="official", allow_missing=True, tasks=["description"]
    )
    assert 0 < results["metrics"]["description"]["meteor"] < 1
    # one character more: that sample (not "the file") is named, exit 2
    path.write_text(json.dumps({"id": "d1", "prediction": words + "x"}) + "\n")
    args = ["evaluate", "--release", str(release), "--predictions", str(path)]
    code = main([*args, "--model", "m", "--allow-missing", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "line 1, sample 'd1': the prediction has 100001 characters; at most 100000" in err
