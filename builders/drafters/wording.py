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
  Clauses (each -> str | None, None when the fact is absent):
    size_sentence(v), color_sentence(v), shape_sentence(v), cut_sentence(v),
    hidden_sentence(v) (naming the occluders when the source knows them: ``hidden_by``),
    touching_sentence(v), salient_sentence(v), count_sentence(v),
    sources_sentence(v)
  salient_phrase(v) -> str | None        'to the left of the couch' (an opening clause)
  salient_directions(facts) -> list[str]  the one or two directions to the salient object
  touching_parts(facts) -> list[str]     'a bicycle', 'two couches', 'another dog'
  DIRECTION_PHRASES                      direction name -> 'to the left of', ...

Facts are those of builders.description (drafters.base lists them). Nothing here names a
material, pose or action: none is measured. Directions are the viewer's; no depth is said.
"""

from __future__ import annotations

import random
from collections import Counter
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

DIRECTION_PHRASES = {
    "left_of": "to the left of",
    "right_of": "to the right of",
    "above": "above",
    "below": "below",
}
DIRECTION_WORDINGS = {
    "left_of": ("to the left of", "left of", "on the left of"),
    "right_of": ("to the right of", "right of", "on the right of"),
    "above": ("above", "higher up than"),
    "below": ("below", "lower down than"),
}
# the same fact seen from the other object: 'the couch is to its right'
INVERSE_WORDINGS = {
    "left_of": ("to the right of", "on the right of"),
    "right_of": ("to the left of", "on the left of"),
    "above": ("below", "lower down than"),
    "below": ("above", "higher up than"),
}
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
MAX_TOUCHING = 3


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


def _join(parts: list[str], conjunction: str = "and") -> str:
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
    if not colors or v.person:
        return None
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
    edges = _join([f"the {side}" for side in sides])
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


def occluders(v: Voice) -> tuple[str, bool]:
    """What hides the object, and whether that is plural: ('a book and mouse traps', True);
    ('other objects', True) when the source does not say which (facts ``hidden_by``)."""
    names = v.facts.get("hidden_by", [])[:MAX_TOUCHING]
    if not names:
        return "other objects", True
    parts = [
        f"another {n}" if n == v.noun and not is_plural(n) else indefinite(n, n) for n in names
    ]
    return _join(parts), len(parts) > 1 or is_plural(names[0])


def hidden_sentence(v: Voice) -> str | None:
    hidden = v.facts.get("occluded_fraction")
    if hidden is None or hidden < 0.15:
        return None
    is_ = "are" if v.many else "is"
    agent, many = occluders(v)
    hide = "hide" if many else "hides"
    if hidden >= 0.5:
        return v.pick(
            (
                f"More than half of {v.obj()} {is_} hidden by {agent}.",
                f"Most of {v.obj()} {is_} covered by {agent}.",
                f"{capitalize(agent)} {hide} more than half of {v.obj()}.",
            )
        )
    return v.pick(
        (
            f"Part of {v.obj()} {is_} hidden by {agent}.",
            f"{v.subject()} {v.be()} partly covered by {agent}.",
            f"{capitalize(agent)} {hide} part of {v.obj()}.",
        )
    )


def touching_parts(facts: dict[str, Any]) -> list[str]:
    """The touching neighbours grouped by name, largest first: 'two couches', 'another dog'."""
    own = facts.get("category") or "object"
    groups = Counter(facts.get("touching", []))
    parts = []
    for name, n in list(groups.items())[:MAX_TOUCHING]:
        countable = not is_plural(name) and not is_mass(name)
        if n == 1:
            parts.append(f"another {name}" if name == own and countable else indefinite(name, name))
        elif countable:
            other = " other" if name == own else ""
            parts.append(f"{number_word(n)}{other} {plural(name)}")
        else:
            parts.append(f"{number_word(n)} {group_word(name)} of {name}")
    return parts


def touching_sentence(v: Voice) -> str | None:
    parts = touching_parts(v.facts)
    if not parts:
        return None
    things = _join(parts)
    return v.pick(
        (
            f"{v.subject()} {v.verb('touches', 'touch')} {things}.",
            f"{v.subject()} {v.be()} in contact with {things}.",
            f"{v.subject()} {v.verb('borders', 'border')} {things}.",
            f"{v.subject()} {v.be()} touching {things}.",
            f"{v.subject()} {v.be()} right up against {things}.",
        )
    )


def salient_directions(facts: dict[str, Any]) -> list[str]:
    """The directions that hold from the object to the salient one: one, or a vertical and a
    horizontal one ('above', 'left_of'); [] when none does."""
    salient = facts.get("salient") or {}
    found = salient.get("directions") or [salient.get("direction")]
    vertical = [d for d in found if d in ("above", "below")]
    return vertical + [d for d in found if d in ("left_of", "right_of")]


def _salient_name(v: Voice) -> str | None:
    if not salient_directions(v.facts):
        return None
    other = v.facts["salient"]["category"] or "object"
    if other == v.noun:
        return "another " + other if not is_plural(other) else "other " + other
    return f"the {other}" if v.facts["salient"].get("unique") else indefinite(other, other)


def _relation(v: Voice, wordings: dict[str, tuple[str, ...]]) -> str:
    """'left of', or 'above and to the left of' when two directions hold."""
    directions = salient_directions(v.facts)
    if len(directions) == 1:
        return v.pick(wordings[directions[0]])
    return " and ".join(wordings[d][0] for d in directions)


def salient_sentence(v: Voice) -> str | None:
    name = _salient_name(v)
    if name is None:
        return None
    other_be = "are" if is_plural(v.facts["salient"]["category"] or "object") else "is"
    return v.pick(
        (
            f"{v.subject()} {v.be()} {_relation(v, DIRECTION_WORDINGS)} {name}.",
            f"{capitalize(name)} {other_be} {_relation(v, INVERSE_WORDINGS)} {v.obj()}.",
        )
    )


def salient_phrase(v: Voice) -> str | None:
    """'to the left of the couch' (for plans that open with the relation)."""
    name = _salient_name(v)
    if name is None:
        return None
    phrases = {d: (p,) for d, p in DIRECTION_PHRASES.items()}
    return f"{_relation(v, phrases)} {name}"


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
    quoted = _join([f'"{t}"' for t in texts], "or")
    return f"{v.subject()} {have} been referred to as {quoted}."
