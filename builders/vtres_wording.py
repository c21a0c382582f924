"""The words of a V-T RES text: what a person would write, drawn with the seed, count-neutral.

API:
  RELATION_PHRASES          relation -> its phrasings ("to the left of <region1>", "left of ...")
  FRAMES                    instruction frames around the referring phrase ("Segment {np}.")
  referring_phrase(relation, category, rng) -> str   "every cup left of <region1>",
                            "all the people touching <region1>", "the bus nearest to <region1>"
  referring_text(relation, category, rng) -> str     the whole instruction
  phrasings() -> set[str]   every text shape (category "X"), for tests and reports

Article, noun and verb agree with the category's number (builders.grammar): a countable name
takes "every cup" / "all the cups" / "every cup that is", a plural name ("people", "skis")
"all the skis that are", a mass name ("soap") "all the soap that is". The phrase depends only on
the relation, the category and the random stream, never on the targets: "every", "all the" and
"whichever" fit no target, one or many alike. Only "nearest" (one target by its meaning) says
"the". A same-category text names no category ("every other object of the same kind as ...").
"""

from __future__ import annotations

import numpy as np

from builders.grammar import be, is_mass, is_plural, plural

RELATION_PHRASES = {
    "left_of": ("to the left of <region1>", "left of <region1>"),
    "right_of": ("to the right of <region1>", "right of <region1>"),
    "above": ("above <region1>", "higher up than <region1>"),
    "below": ("below <region1>", "beneath <region1>", "lower down than <region1>"),
    "touching": ("touching <region1>", "in contact with <region1>"),
    "between": ("between <region1> and <region2>",),
    "nearest": ("nearest to <region1>", "closest to <region1>"),
}
FRAMES = (
    "Please segment {np}.",
    "Segment {np}.",
    "Please mark {np}.",
    "Outline {np}.",
    "Highlight {np} in the image.",
    "Can you segment {np}?",
    "Show me {np}.",
    "Select {np}.",
    "Find and segment {np}.",
    "I need {np} segmented.",
)
COUNTABLE = (
    "every {one} {rel}",
    "each {one} {rel}",
    "all the {many} {rel}",
    "all {many} {rel}",
    "every {one} that is {rel}",
    "all the {many} that are {rel}",
    "whichever {many} are {rel}",
)
PLURAL_NAMES = (
    "all the {many} {rel}",
    "all {many} {rel}",
    "all the {many} that are {rel}",
    "whichever {many} are {rel}",
)
MASS = ("all the {one} {rel}", "all the {one} that is {rel}", "whatever {one} is {rel}")
NEAREST = ("the {one} {rel}", "whichever {one} {be} {rel}")
SAME_CATEGORY = (
    "every other object of the same category as <region1>",
    "all the other objects of the same category as <region1>",
    "each other object of the same kind as <region1>",
    "all other objects of the same kind as <region1>",
    "everything else of the same category as <region1>",
)


def _pick(options: tuple[str, ...], rng: np.random.Generator) -> str:
    return options[int(rng.integers(len(options)))]


def _shapes(relation: str, category: str) -> tuple[str, ...]:
    if relation == "nearest":
        return NEAREST
    if is_mass(category):
        return MASS
    return PLURAL_NAMES if is_plural(category) else COUNTABLE


def referring_phrase(relation: str, category: str | None, rng: np.random.Generator) -> str:
    if relation == "same_category" or category is None:
        return _pick(SAME_CATEGORY, rng)
    shape = _pick(_shapes(relation, category), rng)
    rel = _pick(RELATION_PHRASES[relation], rng)
    many = category if is_plural(category) or is_mass(category) else plural(category)
    return shape.format(one=category, many=many, rel=rel, be=be(category))


def referring_text(relation: str, category: str | None, rng: np.random.Generator) -> str:
    return _pick(FRAMES, rng).format(np=referring_phrase(relation, category, rng))


def phrasings() -> set[str]:
    found = set()
    for relation, phrases in RELATION_PHRASES.items():
        for shape in _shapes(relation, "cup"):
            for rel in phrases:
                phrase = shape.format(one="X", many="Xs", rel=rel, be="is")
                found |= {f.format(np=phrase) for f in FRAMES}
    return found | {f.format(np=s) for f in FRAMES for s in SAME_CATEGORY}
