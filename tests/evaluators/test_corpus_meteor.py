"""Strict corpus METEOR equals pycocoevalcap's ``Meteor().compute_score`` on the same inputs.

60 varied descriptions (exact copies, paraphrases, synonyms, stems, reordered, truncated,
repeated words, punctuation, capitals, one to three references, an empty prediction, a long
one) are scored in one run and merged from 3 shards; both must give pycocoevalcap's figure.
"""

from __future__ import annotations

import io
import json
import random

import pytest
from PIL import Image
from pycocoevalcap.meteor.meteor import Meteor

from evaluators.api import evaluate, merge_partials
from perbench.masks import full_rle
from perbench.release import write_release
from perbench.schema import Sample

SUBJECTS = ["a man", "the woman", "two dogs", "a red car", "an old wooden chair", "the child"]
VERBS = ["is riding", "sits on", "stands near", "looks at", "is running across", "leans on"]
OBJECTS = ["a horse", "the beach", "a bench", "the green field", "a table", "the window"]
EXTRAS = ["", " in the sun", " at night", ", smiling", " with a bag", " next to the door."]
SYNONYMS = {"man": "guy", "woman": "lady", "dogs": "puppies", "car": "automobile"}


def _text(rng: random.Random) -> str:
    parts = (rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS))
    return " ".join(parts) + rng.choice(EXTRAS)


def _prediction(rng: random.Random, truth: str, index: int) -> str:
    words = truth.split()
    kind = index % 10
    if kind == 0:
        return truth
    if kind == 1:
        return " ".join(SYNONYMS.get(w, w) for w in words)
    if kind == 2:
        return " ".join(reversed(words))
    if kind == 3:
        return " ".join(words[: max(1, len(words) // 2)])
    if kind == 4:
        return truth.upper()
    if kind == 5:
        return " ".join(w + "s" if len(w) > 3 else w for w in words)
    if kind == 6:
        return _text(rng)
    if kind == 7:
        return " ".join(words + words)
    if kind == 8:
        return "" if index == 8 else truth.replace(" ", ", ", 2)
    return " ".join(_text(rng) for _ in range(12))


def _cases() -> list[tuple[str, list[str]]]:
    rng = random.Random(13)
    cases = []
    for index in range(60):
        references = [_text(rng) for _ in range(1 + index % 3)]
        cases.append((_prediction(rng, references[0], index), references))
    return cases


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG")
    samples, lines = [], []
    for index, (prediction, references) in enumerate(_cases()):
        sid = f"description-{index:03d}"
        samples.append(
            Sample(
                id=sid,
                task="description",
                image_id="tiny.png",
                width=4,
                height=4,
                question="Please describe <region1> in detail.",
                prompts=[{"tag": "<region1>", "mask": full_rle(4, 4)}],
                image=buffer.getvalue(),
                source={"dataset": "handmade", "ids": {}, "license": "CC0-1.0"},
                references=references,
            )
        )
        lines.append(json.dumps({"id": sid, "prediction": prediction}) + "\n")
    release = write_release(samples, folder / "release", "corpus", "0.1", progress=False)
    predictions = folder / "pred.jsonl"
    predictions.write_text("".join(lines))
    gts = {s.id: s.references for s in samples}
    res = {s.id: [json.loads(line)["prediction"]] for s, line in zip(samples, lines, strict=True)}
    theirs, per_sample = Meteor().compute_score(gts, res)
    return release, predictions, theirs, per_sample


def test_corpus_meteor_equals_pycocoevalcap(corpus, tmp_path):
    release, predictions, theirs, per_sample = corpus
    results = evaluate(release, predictions, "m", out_dir=tmp_path, progress=False)
    meteor = results["metrics"]["description"]
    assert meteor["meteor"] == theirs
    assert meteor["meteor_sample_mean"] == pytest.approx(sum(per_sample) / len(per_sample))
    assert len(set(per_sample)) > 30  # the inputs really are varied
    out = tmp_path / "parts"
    parts = [
        evaluate(release, predictions, "m", out_dir=out, shard=(i, 3), progress=False)
        for i in range(3)
    ]
    assert all(p["counts"]["description"]["expected"] == 20 for p in parts)
    merged = merge_partials(sorted((tmp_path / "parts").glob("*.partial.json")))
    assert merged["metrics"] == results["metrics"]
