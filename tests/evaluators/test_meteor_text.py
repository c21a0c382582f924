"""Strict METEOR on awkward text: equal to pycocoevalcap on every text it accepts (control
characters included), line breaks carried as spaces, and one bad sample never loses the run."""

from __future__ import annotations

import json

import pytest
from pycocoevalcap.meteor.meteor import Meteor

from evaluators.api import evaluate
from evaluators.meteor_jvm import MAX_CHARS, MeteorJVM, one_line, too_long
from evaluators.text_metrics import StrictMeteor

REFERENCE = "a wooden chair standing at the dining table"
# the characters that made raw-text scores differ, and a few more that Java reads as text
CONTROLS = ["\u2028", "\x85", "\x0b", "\x07", "\x1b", "\u2029", "\x0c", "\x00", "\t", "\x1c"]


@pytest.fixture(scope="module")
def jvm():
    with MeteorJVM() as scorer:
        yield scorer


def control_cases() -> tuple[list[str], list[list[str]]]:
    hypotheses, references = [], []
    for char in CONTROLS:
        hypotheses += [REFERENCE.replace(" ", char), REFERENCE, f"a wooden{char} chair"]
        references += [[REFERENCE], [REFERENCE.replace(" ", char)], [REFERENCE, "the chair"]]
    hypotheses += ["a  wooden   chair ||| at the table", "une chaise en bois é"]
    references += [[REFERENCE], ["une chaise en bois"]]
    return hypotheses, references


def test_control_characters_score_as_in_pycocoevalcap(jvm):
    hypotheses, references = control_cases()
    ours, ours_corpus = jvm.scores(
        [jvm.stats(h, r) for h, r in zip(hypotheses, references, strict=True)]
    )
    theirs_corpus, theirs = Meteor().compute_score(
        dict(enumerate(references)), {i: [h] for i, h in enumerate(hypotheses)}
    )
    assert ours == theirs
    assert ours_corpus == theirs_corpus
    # the cases are not trivial: a reference spaced with U+2028 is not the plain reference
    assert ours[0] < 1.0 and ours[1] < 1.0


def test_what_pycocoevalcap_cannot_carry_becomes_one_line(jvm):
    assert one_line("a\nwooden\r\nchair") == "a wooden  chair"
    assert one_line("chair \ud800 table") == "chair \ufffd table"
    broken = jvm.scores([jvm.stats("a wooden\nchair\rstanding", ["a wooden chair standing"])])
    odd = jvm.stats("chair \ud800", [REFERENCE])
    assert broken[0][0] == pytest.approx(1.0, abs=0.05)
    assert len(odd.split()) == 23


def test_too_long_names_the_bound():
    assert too_long(REFERENCE) is None
    assert "characters" in too_long("x" * (MAX_CHARS + 1))
    assert "words" in too_long("a " * 501)


def description_entries(samples) -> dict[str, str]:
    return {s.id: s.references[0] for s in samples if s.task == "description"}


def test_a_75000_character_description_is_refused_by_name_and_the_run_goes_on(
    release, samples, jsonl, tmp_path, jvm
):
    answers = description_entries(samples)
    flooded = sorted(answers)[1]
    reference = answers[flooded]
    answers[flooded] = " ".join([reference] * (75_000 // len(reference) + 1))[:75_000]
    path = jsonl(tmp_path / "p.jsonl", [{"id": k, "prediction": v} for k, v in answers.items()])
    results = evaluate(
        release, path, "flood", tasks=["description"], out_dir=tmp_path / "out", progress=False
    )
    meteor = results["metrics"]["description"]
    assert meteor["unscored"] == 1 and meteor["unscored_ids"] == [flooded]
    rows = [json.loads(line) for line in (tmp_path / "out" / results["per_sample"]).open()]
    refused = [row for row in rows if "unscored" in row]
    assert [row["id"] for row in refused] == [flooded]
    assert "75000 characters" in refused[0]["unscored"] and refused[0]["meteor"] == 0.0
    # the refused sample counts as an empty answer, every other one as usual
    answers[flooded] = ""
    ids = sorted(answers)
    by_id = {s.id: s for s in samples}
    _, corpus = jvm.scores([jvm.stats(answers[i], by_id[i].references) for i in ids])
    assert meteor["meteor"] == corpus


def test_a_scorer_that_dies_on_one_sample_loses_only_that_sample(samples, monkeypatch):
    descriptions = [s for s in samples if s.task == "description"][:3]
    metric = StrictMeteor()
    real_stats = MeteorJVM.stats

    def dying(jvm, hypothesis, references):
        if hypothesis == "kill the scorer":
            jvm.process.kill()
            jvm.process.wait()
        return real_stats(jvm, hypothesis, references)

    monkeypatch.setattr(MeteorJVM, "stats", dying)
    try:
        first = metric.update(descriptions[0], descriptions[0].references[0])
        died = metric.update(descriptions[1], "kill the scorer")
        after = metric.update(descriptions[2], descriptions[2].references[0])
        result = metric.result()
    finally:
        metric.close()
    assert first["meteor"] > 0.9 and after["meteor"] > 0.9
    assert died["meteor"] == 0.0 and "the scorer failed" in died["unscored"]
    assert result["unscored_ids"] == [descriptions[1].id]
