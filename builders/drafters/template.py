"""The offline default drafter: a detailed description written from the derived facts alone.

API:
  write_template(facts) -> str       a description from a facts dict (see drafters.base)
  TemplateDrafter().draft(request)   -> request.template (the text write_template made)
  position_phrase(position)          'top left' -> 'in the top left of the image'

Directions are the viewer's (image left/right), never the object's own left; a person is
"this person", never "it". Neighbours of one
category are grouped ("Other people are to the left and to the right of it"); ``neighbour_ids``
in the facts tell apart one neighbour in two directions from two neighbours.
"""

from __future__ import annotations

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

NEIGHBOUR_PHRASES = {
    "left_of": "to the left of {it}",
    "right_of": "to the right of {it}",
    "above": "above {it}",
    "below": "below {it}",
    "overlapping": "overlapping {it}",
}
MAX_NEIGHBOURS = 3


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


def _count_sentence(noun: str, count: int, rank: int | None) -> str:
    if is_plural(noun) or is_mass(noun):
        these = "these are" if is_plural(noun) else "this is"
        sentence = f"There are {number_word(count)} {group_word(noun)} of {noun} in the scene"
        if rank == 1:
            return f"{sentence}; {these} the largest."
        if rank == count:
            return f"{sentence}; {these} the smallest."
        return sentence + "."
    many = f"{number_word(count)} {plural(noun)} in the scene"
    if rank == 1:
        return f"the largest of the {many}"
    if rank == count:
        return f"the smallest of the {many}"
    return f"one of the {many}"


def _neighbour_sentence(facts: dict[str, Any], subject: str) -> str | None:
    directions = list(facts.get("neighbours", {}).items())[:MAX_NEIGHBOURS]
    if not directions:
        return None
    ids = facts.get("neighbour_ids", {})
    it = "this person" if subject == "person" else "them" if is_plural(subject) else "it"
    by_noun: dict[str, dict[str, list[str]]] = {}
    for direction, other in directions:
        instance = str(ids.get(direction, direction))
        phrase = NEIGHBOUR_PHRASES[direction].format(it=it)
        by_noun.setdefault(other, {}).setdefault(instance, []).append(phrase)
    clauses = []
    for other, instances in by_noun.items():
        phrases = [p for group in instances.values() for p in group]
        sides = [NEIGHBOUR_PHRASES[d].format(it=it) for d in ("left_of", "right_of")]
        if len(instances) > 1 and all(side in phrases for side in sides):
            phrases = [f"on both sides of {it}"] + [p for p in phrases if p not in sides]
        same = other == subject
        if len(instances) > 1:
            name = f"other {plural(other)}" if same else plural(other)
            verb = "are"
        else:
            verb = be(other)
            if not same:
                name = indefinite(other, other)
            elif is_mass(other):
                name = f"more {other}"
            else:
                name = f"other {other}" if is_plural(other) else f"another {other}"
        clauses.append(f"{name} {verb} {_join(phrases)}")
    if len(clauses) == 1:
        return capitalize(clauses[0]) + "."
    return capitalize(", ".join(clauses[:-1]) + ", and " + clauses[-1]) + "."


def write_template(facts: dict[str, Any]) -> str:
    noun = facts.get("category") or "object"
    they = "this person" if noun == "person" else pronoun(noun)
    colors = [name for name, fraction in facts.get("colors", []) if fraction >= 0.2][:2]
    color_text = " and ".join(colors)
    if noun == "person" and color_text:
        head = f"person dressed in {color_text}"
    else:
        head = f"{color_text} {noun}" if color_text else noun
    sentences = [f"{capitalize(indefinite(head, noun))} {position_phrase(facts['position'])}."]
    takes = "take" if is_plural(noun) else "takes"
    size = f"{capitalize(they)} {takes} up {indefinite(facts['size'], 'part')} part of the image"
    count = facts.get("count_in_image")
    if count and count > 1:
        counted = _count_sentence(noun, count, facts.get("size_rank"))
        if counted.startswith("There"):
            sentences += [size + ".", counted]
        else:
            sentences.append(f"{size} and is {counted}.")
    else:
        sentences.append(size + ".")
    neighbours = _neighbour_sentence(facts, noun)
    if neighbours:
        sentences.append(neighbours)
    texts = facts.get("texts", [])[:3]
    if texts:
        have = "have" if is_plural(noun) else "has"
        quoted = _join([f'"{t}"' for t in texts], "or")
        sentences.append(f"{capitalize(they)} {have} been referred to as {quoted}.")
    captions = facts.get("captions", [])[:1]
    if captions:
        caption = captions[0].strip()
        if not caption.endswith((".", "!", "?")):
            caption += "."
        sentences.append(f'A caption of the whole image reads: "{capitalize(caption)}"')
    return " ".join(sentences)


class TemplateDrafter(Drafter):
    """Writes the description from the facts; no model, no network."""

    name = "template"
    version = "1.1"

    def draft(self, request: DraftRequest) -> str:
        return request.template
