"""Wordings of what the described object's neighbours are to it: who touches it, what hides it,
where the largest other object lies; several phrasings each, picked by the Voice's generator.

API:
  occluders(v) -> (phrase, plural)       'a book and mouse traps' (facts ``hidden_by``), or
                                         'other objects' when the source does not say which
  hidden_sentence(v), touching_sentence(v), salient_sentence(v) -> str | None
  salient_phrase(v) -> str | None        'to the left of the couch' (an opening clause)
  salient_directions(facts) -> list[str]  the one or two directions to the salient object,
                                         vertical first ('above', 'left_of')
  touching_parts(facts) -> list[str]     'a bicycle', 'two couches', 'another dog'
  DIRECTION_PHRASES                      direction name -> 'to the left of', ...

v: a builders.drafters.wording.Voice. Directions are the viewer's; nothing is said about depth.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from builders.drafters.wording import Voice, join
from builders.grammar import (
    capitalize,
    group_word,
    indefinite,
    is_mass,
    is_plural,
    number_word,
    plural,
)

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
MAX_TOUCHING = 3


def occluders(v: Voice) -> tuple[str, bool]:
    """What hides the object, and whether that is plural: ('a book and mouse traps', True);
    ('other objects', True) when the source does not say which (facts ``hidden_by``)."""
    names = v.facts.get("hidden_by", [])[:MAX_TOUCHING]
    if not names:
        return "other objects", True
    parts = [
        f"another {n}" if n == v.noun and not is_plural(n) else indefinite(n, n) for n in names
    ]
    return join(parts), len(parts) > 1 or is_plural(names[0])


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
    things = join(parts)
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
    if not salient_directions(v.facts) or v.facts.get("salient_in_extra"):
        return None  # none, or said once for every reference (builders.identify)
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
