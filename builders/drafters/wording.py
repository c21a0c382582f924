"""Wordings of the template drafter's statements: each clause has several phrasings, one picked
by a seeded random generator, and every phrasing says exactly what its one fact says.

API:
  Voice(facts, rng)        the described object as a grammatical subject; ``rng``: random.Random
    .pick(options)         one of the options (seeded)
    .subject(capital)      'it' / 'the cup' / 'they' / 'this person' (varied)
    .obj(), .its()         'it' / 'them' / 'this person';  'its' / 'their' / "this person's"
    .verb(singular, plural), .be()       agreement with the noun
    .head(size, color)     'small red cup', 'person' (varied size words; colour words as measured)
    .position()            'in the top left of the image', 'in the upper left corner of the picture'
  Clauses about the object itself (each -> str | None, None when the fact is absent):
    size_sentence(v), color_sentence(v), shape_sentence(v), cut_sentence(v),
    count_sentence(v), sources_sentence(v)
  join(parts, conjunction="and")         'a', 'a and b', 'a, b and c'
  PICTURE                                'image', 'picture', 'frame'
  (its neighbours: builders.drafters.neighbours)

Facts are those of builders.description (drafters.base lists them). Nothing here names a
material, pose or action: none is measured. Directions are the viewer's; no depth is said.
"""

from __future__ import annotations

import random
from typing import Any

from builders.grammar import (
    capitalize,
    group_word,
    indefinite,
    is_mass,
    is_plural,
    number_word,
    plural,
)
from builders.objects import ELONGATED

SIZE_ADJECTIVES = {
    "tiny": ("tiny", "very small"),
    "small": ("small", "fairly small"),
    "medium-sized": ("medium-sized", "mid-sized", "moderately sized"),
    "large": ("large", "big"),
    "very large": ("very large", "very big"),
}
SIZE_AREAS = {  # 'it covers a ... part of the image'
    "tiny": ("tiny", "very small"),
    "small": ("small",),
    "medium-sized": ("medium-sized", "moderate"),
    "large": ("large", "big"),
    "very large": ("very large", "very big"),
}
PICTURE = ("image", "picture", "frame")
SIZE_VERBS = (
    ("takes up", "take up"),
    ("covers", "cover"),
    ("fills", "fill"),
    ("occupies", "occupy"),
)
CORNER = {
    "top": ("top", "upper"),
    "bottom": ("bottom", "lower"),
}


class Voice:
    """The described object as a subject of sentences, with seeded choice of wording."""

    def __init__(self, facts: dict[str, Any], rng: random.Random):
        self.facts, self.rng = facts, rng
        self.noun = facts.get("category") or "object"
        self.person = self.noun == "person"
        self.many = is_plural(self.noun)

    def pick(self, options: tuple[str, ...] | list[str]) -> str:
        return options[self.rng.randrange(len(options))]

    def subject(self, capital: bool = True, named: bool = True) -> str:
        """A pronoun or, when ``named``, sometimes the noun ('the cup'); never 'it' for a person."""
        if self.person:
            word = self.pick(("this person", "the person") if named else ("this person",))
        else:
            word = "they" if self.many else "it"
            word = self.pick((word, word, f"the {self.noun}")) if named else word
        return capitalize(word) if capital else word

    def obj(self) -> str:
        return "this person" if self.person else "them" if self.many else "it"

    def its(self) -> str:
        return "this person's" if self.person else "their" if self.many else "its"

    def verb(self, singular: str, plural_form: str) -> str:
        return plural_form if self.many else singular

    def be(self) -> str:
        return self.verb("is", "are")

    def size_word(self) -> str:
        return self.pick(SIZE_ADJECTIVES[self.facts["size"]])

    def colors(self) -> str:
        return " and ".join(self.facts.get("named_colors", []))

    def head(self, size: bool, color: bool = True) -> str:
        """'small red cup', 'tiny person dressed in blue': a noun phrase without article."""
        colors = self.colors() if color else ""
        adjective = f"{self.size_word()} " if size else ""
        if self.person:
            return f"{adjective}person dressed in {colors}" if colors else f"{adjective}person"
        return f"{adjective}{colors} {self.noun}" if colors else f"{adjective}{self.noun}"

    def a(self, size: bool, color: bool = True) -> str:
        return indefinite(self.head(size, color), self.noun)

    def position(self) -> str:
        cell, picture = self.facts["position"], self.pick(PICTURE)
        if cell == "center":
            return self.pick(
                (
                    f"in the center of the {picture}",
                    f"in the middle of the {picture}",
                    f"near the center of the {picture}",
                    f"roughly in the middle of the {picture}",
                )
            )
        if cell in ("left", "right"):
            return self.pick(
                (
                    f"on the {cell} side of the {picture}",
                    f"on the {cell} of the {picture}, about halfway up",
                    f"at the {cell} of the {picture}",
                    f"halfway up the {cell} side of the {picture}",
                )
            )
        if cell in ("top", "bottom"):
            return self.pick(
                (
                    f"at the {cell} of the {picture}",
                    f"in the {self.pick(CORNER[cell])} middle of the {picture}",
                    f"at the {cell} center of the {picture}",
                    f"at the {cell} of the {picture}, in the middle",
                )
            )
        row, column = cell.split()
        row = self.pick(CORNER[row])
        return self.pick(
            (
                f"in the {row} {column} of the {picture}",
                f"in the {row} {column} corner of the {picture}",
                f"toward the {row} {column} of the {picture}",
                f"in the {row}-{column} area of the {picture}",
            )
        )


def join(parts: list[str], conjunction: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(parts) == 1:
        return parts[0]
    return f"{', '.join(parts[:-1])} {conjunction} {parts[-1]}"


def size_sentence(v: Voice) -> str:
    area = v.pick(("part", "area", "portion", "share"))
    where = v.pick(PICTURE)
    verb = v.verb(*SIZE_VERBS[v.rng.randrange(len(SIZE_VERBS))])
    size = v.pick(SIZE_AREAS[v.facts["size"]])
    return f"{v.subject()} {verb} {indefinite(size, 'part')} {area} of the {where}."


def color_sentence(v: Voice) -> str | None:
    """A colour sentence (for plans that keep colour out of the head)."""
    colors = v.facts.get("named_colors", [])
    if not colors:
        return None
    if v.person:  # a person's colours are those of their clothes
        worn = " and ".join(colors)
        return v.pick(
            (
                f"{v.subject()} is dressed in {worn}.",
                f"{v.subject()} wears {'mostly ' if len(colors) == 1 else ''}{worn}.",
                f"{capitalize(v.its())} clothes are {worn}.",
            )
        )
    if len(colors) == 1:
        return v.pick(
            (
                f"{v.subject()} {v.be()} {colors[0]}.",
                f"{v.subject()} {v.be()} mostly {colors[0]}.",
                f"{capitalize(v.its())} colour is {colors[0]}.",
            )
        )
    return v.pick(
        (
            f"{v.subject()} {v.be()} {colors[0]} and {colors[1]}.",
            f"{v.subject()} {v.be()} partly {colors[0]} and partly {colors[1]}.",
            f"{capitalize(v.its())} colours are {colors[0]} and {colors[1]}.",
        )
    )


def shape_sentence(v: Voice) -> str | None:
    orientation, s, be = v.facts.get("orientation"), v.subject(), v.be()
    if orientation == "horizontal":
        return v.pick(
            (
                f"{s} {be} elongated and {v.verb('runs', 'run')} horizontally.",
                f"{s} {v.verb('has', 'have')} a long, horizontal shape.",
                f"{s} {be} much wider than tall.",
            )
        )
    if orientation == "vertical":
        return v.pick(
            (
                f"{s} {be} elongated and {v.verb('runs', 'run')} vertically.",
                f"{s} {v.verb('has', 'have')} a long, vertical shape.",
                f"{s} {be} much taller than wide.",
            )
        )
    if orientation == "diagonal":
        return v.pick(
            (
                f"{s} {be} elongated and {v.verb('runs', 'run')} diagonally.",
                f"{s} {v.verb('has', 'have')} a long shape set at a slant.",
                f"{s} {be} long and slanted.",
            )
        )
    if v.facts.get("elongation", 2.0) < 1.3:
        return v.pick(
            (
                f"{capitalize(v.its())} visible outline is compact, about as wide as tall.",
                f"{s} {be} roughly as wide as tall.",
                f"{capitalize(v.its())} visible shape is compact rather than long.",
                f"{s} {v.verb('has', 'have')} a compact shape, not a long one.",
            )
        )
    if v.facts.get("elongation", 2.0) < ELONGATED:
        return v.pick(
            (
                f"{capitalize(v.its())} visible outline is somewhat elongated.",
                f"{capitalize(v.its())} visible shape is moderately elongated.",
                f"{s} {be} a little longer one way than the other.",
            )
        )
    return None


def cut_sentence(v: Voice) -> str | None:
    sides = v.facts.get("cut_sides", [])
    if not sides:
        return None
    edge = "edges" if len(sides) > 1 else "edge"
    edges = join([f"the {side}" for side in sides])
    picture = v.pick(PICTURE)
    return v.pick(
        (
            f"{v.subject()} {v.verb('reaches', 'reach')} {edges} {edge} of the {picture}, so part "
            f"of {v.obj()} may lie outside the {picture}.",
            f"{v.subject()} {v.be()} cut off by {edges} {edge} of the {picture}.",
            f"{v.subject()} {v.verb('runs', 'run')} up to {edges} {edge} of the {picture}.",
            f"{capitalize(v.its())} outline meets {edges} {edge} of the {picture}.",
        )
    )


def count_sentence(v: Voice) -> str | None:
    count, rank, noun = v.facts.get("count_in_image"), v.facts.get("size_rank"), v.noun
    if not count:
        return None
    picture = v.pick(PICTURE)
    if count == 1:
        if v.many:
            return None
        return v.pick(
            (
                f"{'This' if v.person else 'It'} is the only {noun} in the {picture}.",
                f"This is the only {noun} in the {picture}.",
                f"There is no other {noun} in the {picture}.",
                f"No other {noun} appears in the {picture}.",
            )
        )
    if v.many or is_mass(noun):
        return f"There are {number_word(count)} {group_word(noun)} of {noun} in the {picture}."
    many = f"{number_word(count)} {plural(noun)}"
    which = v.pick(("largest", "biggest")) if rank == 1 else "smallest" if rank == count else None
    s, be = v.subject(named=False), v.be()
    if which:
        return v.pick(
            (
                f"{s} {be} the {which} of the {many} in the {picture}.",
                f"Of the {many} in the {picture}, {v.subject(False, False)} {be} the {which}.",
                f"There are {many} in the {picture}, and this is the {which}.",
            )
        )
    return v.pick(
        (
            f"{s} {be} one of the {many} in the {picture}.",
            f"The {picture} shows {many}, and this is one of them.",
        )
    )


def sources_sentence(v: Voice) -> str | None:
    texts = v.facts.get("texts", [])[:3]
    if not texts:
        return None
    have = v.verb("has", "have")
    quoted = join([f'"{t}"' for t in texts], "or")
    return f"{v.subject()} {have} been referred to as {quoted}."
