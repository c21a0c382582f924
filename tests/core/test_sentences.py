"""A description's statements, numbered as reviewers mark them false."""

from __future__ import annotations

from perbench.sentences import description_sentences, split_sentences


def test_sentences_split_at_a_stop_before_a_capital_only():
    text = 'A chair, 3.5 m from the wall. It is red! Is it e.g. wooden? "Yes." (Maybe.)'
    assert split_sentences(text) == [
        "A chair, 3.5 m from the wall.",
        "It is red!",
        "Is it e.g. wooden?",
        '"Yes."',
        "(Maybe.)",
    ]
    assert split_sentences("  ") == []


def test_statements_are_numbered_across_references():
    numbered = description_sentences(["One. Two.", "Three."])
    assert numbered == [(0, "One."), (0, "Two."), (1, "Three.")]
    assert description_sentences(None) == []
