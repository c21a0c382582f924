"""Drafted English: number agreement, articles, grouped neighbours, question wordings, colours."""

import numpy as np
import pytest

from builders.colors import name_colors
from builders.drafters.base import DraftRequest, instruction
from builders.drafters.template import position_phrase, write_references, write_template
from builders.grammar import article, be, indefinite, is_mass, is_plural, number_word, plural


@pytest.mark.parametrize(
    ("noun", "expected"),
    [
        ("knife", "knives"),
        ("sheep", "sheep"),
        ("mouse", "mice"),
        ("computer mouse", "computer mice"),
        ("wine glass", "wine glasses"),
        ("hanes socks", "hanes socks"),
        ("irish spring soap", "irish spring soap"),
        ("lens", "lenses"),
        ("box", "boxes"),
        ("toy", "toys"),
    ],
)
def test_plural_of_irregular_invariant_and_mass_names(noun, expected):
    assert plural(noun) == expected


def test_number_of_category_names():
    assert is_plural("hanes socks") and is_plural("mouse traps") and is_plural("people")
    assert not is_plural("bus") and not is_plural("sheep") and not is_plural("glass")
    assert is_mass("irish spring soap") and not is_plural("irish spring soap")
    assert be("burts bees baby wipes") == "are" and be("soap") == "is" and be("chair") == "is"


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("orange cup", "an"),
        ("black chair", "a"),
        ("umbrella", "an"),
        ("uniform", "a"),
        ("one-way sign", "a"),
        ("hour glass", "an"),
        ("tv", "a"),
        ("sd card", "an"),
        ("european car", "a"),
    ],
)
def test_article_follows_the_sound(phrase, expected):
    assert article(phrase) == expected


def test_indefinite_leaves_plural_and_mass_names_bare():
    assert indefinite("green irish spring soap", "irish spring soap") == "green irish spring soap"
    assert indefinite("red hanes socks", "hanes socks") == "red hanes socks"
    assert indefinite("orange chair", "chair") == "an orange chair"
    assert number_word(7) == "seven" and number_word(13) == "13"


def _facts(category, **more):
    facts = {
        "category": category,
        "colors": [["white", 0.9]],
        "named_colors": ["white"],
        "size": "small",
        "position": "left",
    }
    facts.update(more)
    return facts


def test_plural_subjects_agree_everywhere():
    facts = _facts(
        "Hanes socks",
        touching=["Burt's Bees baby wipes", "mouse traps"],
        elongation=1.1,
        cut_sides=["left"],
        occluded_fraction=0.3,
        texts=["the socks"],
    )
    text = write_template(facts)
    assert text.startswith("White Hanes socks on the left side of the image. They take up")
    assert "They touch Burt's Bees baby wipes and mouse traps." in text
    assert "Their visible outline is compact" in text and "They reach the left edge" in text
    assert "Part of them are hidden" in text and "They have been referred to as" in text
    for plan in write_references(facts, 3):
        assert " it " not in plan and " its " not in plan and "It " not in plan, plan


def test_mass_subject_has_no_article_and_counts_pieces():
    text = write_template(_facts("Irish Spring soap", count_in_image=2, size_rank=1))
    assert text.startswith("White Irish Spring soap on the left side of the image. It takes up")
    assert "There are two pieces of Irish Spring soap in the image." in text


def test_touching_neighbours_and_the_salient_object():
    text = write_template(_facts("person", touching=["person", "chair"], named_colors=[]))
    assert "This person touches another person and a chair." in text
    assert "This person takes up a small part" in text and " it" not in text
    located = write_template(
        _facts("bottle", salient={"category": "dining table", "direction": "above"}), "located"
    )
    assert "It is above a dining table." in located


def test_position_phrases_read_naturally():
    assert position_phrase("center") == "in the center of the image"
    assert position_phrase("left") == "on the left side of the image"
    assert position_phrase("bottom") == "at the bottom of the image"
    assert position_phrase("top right") == "in the top right of the image"


def test_instruction_uses_the_right_article():
    request = DraftRequest("d", b"", {"size": [1, 1], "counts": "1"}, _facts("orange"), "x")
    assert "is an orange." in instruction(request)
    request.facts = _facts("Hanes socks")
    assert "region1 is Hanes socks." in instruction(request)


@pytest.mark.parametrize(
    ("rgb", "expected"),
    [
        ((240, 110, 20), "orange"),
        ((255, 165, 0), "orange"),
        ((214, 94, 134), "pink"),  # the scissors handles of the embedded tote photo
        ((0, 0, 128), "blue"),  # navy
        ((135, 206, 235), "blue"),  # sky blue
        ((128, 0, 128), "purple"),
        ((139, 69, 19), "brown"),
    ],
)
def test_colour_of_a_synthetic_patch(rgb, expected):
    rng = np.random.default_rng(0)
    patch = np.clip(np.array(rgb) + rng.integers(-8, 9, size=(400, 3)), 0, 255).astype(np.uint8)
    names = name_colors(patch)
    assert names[0][0] == expected and names[0][1] > 0.9, names
