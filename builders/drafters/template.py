"""The offline default drafter: detailed descriptions written from the measured facts alone,
in several sentence plans so references of one object differ in wording and order.

API:
  PLANS                              plan name -> writer(facts) -> str
  write_template(facts, plan="plain") -> str     one description from a facts dict (drafters.base)
  write_references(facts, n) -> list[str]        n descriptions, each from a different plan
  TemplateDrafter().draft(request)   -> request.template;  .draft_all(request, n) -> the plans
  position_phrase(position)          'top left' -> 'in the top left of the image'

Every statement comes from one fact: the category; ``named_colors`` (only when one or two
colours dominate the visible pixels); size; grid position; shape (``elongation`` >= 2 with its
``orientation``, or compact below 1.3); ``cut_sides`` (the mask reaches the image border);
``occluded_fraction`` (only when the source knows whole shapes); ``touching`` (neighbours whose
masks are adjacent); ``salient`` (the largest other object, and the one clear direction to it);
``count_in_image`` and ``size_rank`` (only for exhaustively annotated categories); ``extra``
(distinguishing sentences added when two references in one image would be identical).
Directions are the viewer's (image left/right); nothing is said about depth.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from builders.drafters.base import Drafter, DraftRequest
from builders.grammar import (
    be,
    capitalize,
    group_word,
    indefinite,
    is_mass,
    is_plural,
    number_word,
    plural,
    pronoun,
)

DIRECTION_PHRASES = {
    "left_of": "to the left of",
    "right_of": "to the right of",
    "above": "above",
    "below": "below",
}
ORIENTATION_WORDS = {
    "horizontal": "horizontally",
    "vertical": "vertically",
    "diagonal": "diagonally",
}
MAX_TOUCHING = 3


def position_phrase(position: str) -> str:
    if position == "center":
        return "in the center of the image"
    if position in ("left", "right"):
        return f"on the {position} side of the image"
    if position in ("top", "bottom"):
        return f"at the {position} of the image"
    return f"in the {position} of the image"


def _join(parts: list[str], conjunction: str = "and") -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(parts) == 1:
        return parts[0]
    return f"{', '.join(parts[:-1])} {conjunction} {parts[-1]}"


def _noun(facts: dict[str, Any]) -> str:
    return facts.get("category") or "object"


def _subject(facts: dict[str, Any]) -> str:
    noun = _noun(facts)
    return "this person" if noun == "person" else pronoun(noun)


def _verb(facts: dict[str, Any], singular: str, plural_form: str) -> str:
    return plural_form if is_plural(_noun(facts)) else singular


def _color_text(facts: dict[str, Any]) -> str:
    return " and ".join(facts.get("named_colors", []))


def _head(facts: dict[str, Any], with_size: bool) -> str:
    """'small red chair', 'person dressed in blue'."""
    noun, colors = _noun(facts), _color_text(facts)
    size = f"{facts['size']} " if with_size else ""
    if noun == "person":
        return f"{size}person dressed in {colors}" if colors else f"{size}person"
    return f"{size}{colors} {noun}" if colors else f"{size}{noun}"


def _count(facts: dict[str, Any]) -> str | None:
    count, rank, noun = facts.get("count_in_image"), facts.get("size_rank"), _noun(facts)
    if not count:
        return None
    if count == 1:
        return f"It is the only {noun} in the image." if not is_plural(noun) else None
    if is_plural(noun) or is_mass(noun):
        return f"There are {number_word(count)} {group_word(noun)} of {noun} in the image."
    many = f"{number_word(count)} {plural(noun)} in the image"
    which = "largest" if rank == 1 else "smallest" if rank == count else None
    lead = capitalize(_subject(facts))
    return (
        f"{lead} {be(_noun(facts))} the {which} of the {many}."
        if which
        else (f"{lead} {be(_noun(facts))} one of the {many}.")
    )


def _shape(facts: dict[str, Any]) -> str | None:
    lead = capitalize(_subject(facts))
    if facts.get("orientation"):
        way = ORIENTATION_WORDS[facts["orientation"]]
        return f"{lead} {be(_noun(facts))} elongated and {_verb(facts, 'runs', 'run')} {way}."
    if facts.get("elongation", 2.0) < 1.3:
        its = "Their" if is_plural(_noun(facts)) else "Its"
        return f"{its} visible outline is compact, about as wide as tall."
    return None


def _visibility(facts: dict[str, Any]) -> list[str]:
    out, lead = [], capitalize(_subject(facts))
    it_is = "them are" if is_plural(_noun(facts)) else "it is"
    sides = facts.get("cut_sides", [])
    if sides:
        edges = _join([f"the {side}" for side in sides])
        out.append(
            f"{lead} {_verb(facts, 'reaches', 'reach')} {edges} edge"
            f"{'s' if len(sides) > 1 else ''} of the image, so part of "
            f"{'this person' if _noun(facts) == 'person' else it_is.split()[0]} may lie outside "
            "the frame."
        )
    hidden = facts.get("occluded_fraction")
    if hidden is not None and hidden >= 0.5:
        out.append(f"More than half of {it_is} hidden by other objects.")
    elif hidden is not None and hidden >= 0.15:
        out.append(f"Part of {it_is} hidden by other objects.")
    return out


def _touching(facts: dict[str, Any]) -> str | None:
    names = facts.get("touching", [])[:MAX_TOUCHING]
    if not names:
        return None
    noun = _noun(facts)
    parts = [
        f"another {n}" if n == noun and not is_plural(n) and not is_mass(n) else indefinite(n, n)
        for n in names
    ]
    return f"{capitalize(_subject(facts))} {_verb(facts, 'touches', 'touch')} {_join(parts)}."


def _salient(facts: dict[str, Any]) -> str | None:
    salient = facts.get("salient")
    if not salient or not salient.get("direction"):
        return None
    other = salient["category"] or "object"
    name = f"the {other}" if salient.get("unique") else indefinite(other, other)
    if other == _noun(facts):
        name = "another " + other if not is_plural(other) else "other " + other
    phrase = DIRECTION_PHRASES[salient["direction"]]
    return f"{capitalize(_subject(facts))} {be(_noun(facts))} {phrase} {name}."


def _sources(facts: dict[str, Any]) -> list[str]:
    out = []
    texts = facts.get("texts", [])[:3]
    if texts:
        have = "have" if is_plural(_noun(facts)) else "has"
        quoted = _join([f'"{t}"' for t in texts], "or")
        out.append(f"{capitalize(_subject(facts))} {have} been referred to as {quoted}.")
    return out


def _plain(facts: dict[str, Any]) -> str:
    noun = _noun(facts)
    takes = _verb(facts, "takes", "take")
    head = capitalize(indefinite(_head(facts, False), noun))
    size = indefinite(facts["size"], "part")
    sentences = [
        f"{head} {position_phrase(facts['position'])}.",
        f"{capitalize(_subject(facts))} {takes} up {size} part of the image.",
    ]
    sentences += [s for s in (_count(facts), _touching(facts), _shape(facts)) if s]
    return " ".join(sentences + _visibility(facts) + _sources(facts) + facts.get("extra", []))


def _located(facts: dict[str, Any]) -> str:
    noun = _noun(facts)
    lead = capitalize(position_phrase(facts["position"]))
    sentences = [f"{lead} there {be(noun)} {indefinite(_head(facts, True), noun)}."]
    sentences += [s for s in (_salient(facts), _shape(facts), _count(facts)) if s]
    return " ".join(sentences + _visibility(facts) + facts.get("extra", []))


def _shape_first(facts: dict[str, Any]) -> str:
    noun = _noun(facts)
    this = "This is" if not is_plural(noun) else "These are"
    head = indefinite(_head(facts, True), noun)
    sentences = [f"{this} {head}, {position_phrase(facts['position'])}."]
    sentences += [s for s in (_shape(facts), _touching(facts), _salient(facts)) if s]
    sentences += _visibility(facts)
    count = _count(facts)
    return " ".join(sentences + ([count] if count else []) + facts.get("extra", []))


PLANS: dict[str, Callable[[dict[str, Any]], str]] = {
    "plain": _plain,
    "located": _located,
    "shape_first": _shape_first,
}


def write_template(facts: dict[str, Any], plan: str = "plain") -> str:
    return PLANS[plan](facts)


def write_references(facts: dict[str, Any], n: int) -> list[str]:
    """``n`` descriptions of the same facts, one per plan, all different."""
    texts: list[str] = []
    for plan in PLANS:
        text = write_template(facts, plan)
        if text not in texts:
            texts.append(text)
    return texts[:n]


class TemplateDrafter(Drafter):
    """Writes the descriptions from the facts; no model, no network."""

    name = "template"
    version = "2.0"

    def draft(self, request: DraftRequest) -> str:
        return request.template

    def draft_all(self, request: DraftRequest, n: int) -> list[str]:
        return write_references(request.facts, n)
