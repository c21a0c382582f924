"""The offline default drafter: a detailed description written from the derived facts alone.

API:
  write_template(facts) -> str       a description from a facts dict (see drafters.base)
  TemplateDrafter().draft(request)   -> request.template (the text write_template made)
"""

from __future__ import annotations

from typing import Any

from builders.drafters.base import Drafter, DraftRequest
from builders.objects import plural

NEIGHBOUR_PHRASES = {
    "left_of": "to its left",
    "right_of": "to its right",
    "above": "above it",
    "below": "below it",
    "overlapping": "overlapping it",
}


def _is_plural(noun: str) -> bool:
    return plural(noun) == noun


def _with_article(phrase: str, noun: str) -> str:
    """``a chair``, ``an orange cup``, ``measuring spoons`` (plural names take no article)."""
    if _is_plural(noun):
        return phrase
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def _position(position: str) -> str:
    return (
        "in the center of the image" if position == "center" else f"at the {position} of the image"
    )


def write_template(facts: dict[str, Any]) -> str:
    noun = facts.get("category") or "object"
    colors = [name for name, fraction in facts.get("colors", []) if fraction >= 0.2][:2]
    color_text = " and ".join(colors)
    if noun == "person" and color_text:
        head = f"person dressed in {color_text}"
    else:
        head = f"{color_text} {noun}" if color_text else noun
    opening = _with_article(head, noun)
    sentences = [f"{opening[0].upper()}{opening[1:]} {_position(facts['position'])}."]
    count = facts.get("count_in_image")
    detail = f"{'They are' if _is_plural(noun) else 'It is'} {facts['size']}"
    if count and count > 1:
        detail += f", one of {count} {plural(noun)} in the scene"
        if facts.get("size_rank") == 1:
            detail += ", and the largest of them"
        elif facts.get("size_rank") == count:
            detail += ", and the smallest of them"
    sentences.append(detail + ".")
    neighbours = [
        f"{_with_article(other, other)} {'are' if _is_plural(other) else 'is'} "
        f"{NEIGHBOUR_PHRASES[direction]}"
        for direction, other in facts.get("neighbours", {}).items()
    ]
    if neighbours:
        text = "; ".join(neighbours[:3])
        sentences.append(text[0].upper() + text[1:] + ".")
    texts = facts.get("texts", [])[:3]
    if texts:
        sentences.append("It has been referred to as " + ", ".join(f'"{t}"' for t in texts) + ".")
    captions = facts.get("captions", [])[:1]
    if captions:
        sentences.append(f"Scene: {captions[0].rstrip('.')}.")
    return " ".join(sentences)


class TemplateDrafter(Drafter):
    """Writes the description from the facts; no model, no network."""

    name = "template"
    version = "1.0"

    def draft(self, request: DraftRequest) -> str:
        return request.template
