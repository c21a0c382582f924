"""Cross-validation folds are grouped by image: no image on both sides of a split."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluators.audit.folds import group_folds
from evaluators.audit.stats import proportion, wilson


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([f"img-{i}" for i in range(12)]), min_size=1, max_size=80))
def test_folds_never_split_an_image(groups):
    folds = group_folds(groups)
    if len(set(groups)) < 2:
        assert folds == []
        return
    tested = []
    for train, test in folds:
        assert not {groups[i] for i in train} & {groups[i] for i in test}
        tested += list(test)
    assert sorted(tested) == list(range(len(groups)))


def test_wilson_interval_holds_the_value_and_narrows_with_n():
    low, high = wilson(5, 10)
    assert low < 0.5 < high
    assert wilson(50, 100)[1] - wilson(50, 100)[0] < high - low
    assert proportion(0, 0) == {"value": None, "k": 0, "n": 0, "ci95": None}
    assert proportion(10, 10)["ci95"][1] == 1.0


def test_self_bleu_equals_nltk_sentence_bleu_against_the_others():
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    from evaluators.audit.self_bleu import self_bleu

    texts = [
        "a wooden chair with a curved back near the wall",
        "a wooden chair with a straight back near the table",
        "a person in a red coat holding a cup of tea",
        "a small green bottle on the dining table",
        "the chair near the wall is wooden and old",
        "two people sitting at a table with a cup",
    ]
    sentences = [t.split() for t in texts]
    smoothing = SmoothingFunction().method1
    expected = [
        sentence_bleu(sentences[:i] + sentences[i + 1 :], s, smoothing_function=smoothing)
        for i, s in enumerate(sentences)
    ]
    assert self_bleu(sentences) == pytest.approx(expected, abs=1e-12)
    assert self_bleu([["alone"]]) == []
