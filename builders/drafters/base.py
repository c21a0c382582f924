"""The drafter interface: one call turns an object's facts into a draft detailed description.

API:
  DraftRequest     what a drafter sees: the image, the prompt mask, the facts, the template draft
  Drafter          base class: ``name``, ``version``, ``draft(request) -> str``,
                   ``draft_all(request, n) -> list[str]`` (the model's draft, then other plans
                   of the template drafter, ``request.extra["plans"]``, up to n references)
  check_draft(text, facts) -> list[str]   flags for the reviewer: a colour not present in the
                   region (COLOR_SPELLINGS: 'grey' is gray), or a number of the category that
                   contradicts the measured count
  DrafterError     a drafter that cannot load or answer (PerBenchError)
  instruction(request)   the instruction text a model-backed drafter sends with the image

``facts`` (JSON) holds what was measured on the visible pixels (builders.description): category,
supercategory, colors [[name, fraction]], named_colors, size, position, elongation, orientation,
cut_sides, occluded_fraction, hidden_by [noun], touching [noun], salient {category, direction,
directions, unique}, count_in_image and size_rank (exhaustive categories only), texts and
captions; area, margin and centre_percent (what builders.identify compares), and
salient_in_extra when the direction to the salient object is said once in ``extra``.
The region is ``<region1>``; model-backed drafters see it outlined on the image (perbench.render).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from builders.colors import COLOR_NAMES, present_colors
from builders.grammar import NUMBER_WORDS, indefinite, plural
from perbench.errors import PerBenchError
from perbench.masks import RLE

# other spellings and plain synonyms of the basic colour terms a model may write
COLOR_SPELLINGS = {"grey": "gray", "violet": "purple", "navy": "blue", "crimson": "red"}


class DrafterError(PerBenchError):
    """A drafter that cannot be loaded or whose model/endpoint gives no usable answer."""


@dataclass
class DraftRequest:
    """One object to describe. ``image``: encoded bytes; ``mask``: RLE of the image's size."""

    sample_id: str
    image: bytes
    mask: RLE
    facts: dict[str, Any]
    template: str
    extra: dict[str, Any] = field(default_factory=dict)


class Drafter:
    """Base class of description drafters."""

    name = "drafter"
    version = "0"

    def draft(self, request: DraftRequest) -> str:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """Name, version and settings, as recorded in each sample's meta."""
        return {"name": self.name, "version": self.version}

    def draft_all(self, request: DraftRequest, n: int) -> list[str]:
        texts = [self.draft(request)]
        for text in request.extra.get("plans", []):
            if len(texts) < n and text not in texts:
                texts.append(text)
        return texts


def check_draft(text: str, facts: dict[str, Any]) -> list[str]:
    """What in a model's draft contradicts the measurement (flags shown to the reviewer)."""
    flags = []
    words = re.findall(r"[a-z]+", text.lower())
    present = present_colors([(name, fraction) for name, fraction in facts.get("colors", [])])
    said = {COLOR_SPELLINGS.get(w, w): w for w in words}
    for color in COLOR_NAMES:
        if color in said and color not in present:
            flags.append(
                f"colour '{said[color]}' is not among the measured colours {sorted(present)}"
            )
    count, noun = facts.get("count_in_image"), facts.get("category")
    if count and noun:
        numbers = "|".join([*NUMBER_WORDS[1:], r"\d+"])
        pattern = rf"\b({numbers})\s+(?:\w+\s+)?{re.escape(plural(noun).lower())}\b"
        for match in re.finditer(pattern, text.lower()):
            said = match.group(1)
            value = int(said) if said.isdigit() else NUMBER_WORDS.index(said)
            if value != count:
                flags.append(f"says {said} {plural(noun)} but {count} are annotated")
    return flags


def instruction(request: DraftRequest) -> str:
    """The instruction for a vision-language model: describe the outlined region from the facts."""
    facts = {k: v for k, v in request.facts.items() if v not in (None, [], {})}
    noun = request.facts.get("category") or "object"
    return (
        f"The object outlined in red and labelled region1 is {indefinite(noun, noun)}. "
        "Write a detailed description of it in "
        "3 to 5 sentences: what it is, its colour and material, its shape and parts, what it is "
        "doing or holding, and where it is relative to nearby objects. Describe only that "
        "object and only what is visible. These attributes were measured on its visible pixels; "
        "do not contradict them: name only colours from named_colors (none if it is empty), "
        "give a count only if count_in_image is given, and say nothing about depth. "
        f"Measured (JSON): {json.dumps(facts, sort_keys=True)}. "
        f"A plain draft to improve on: {request.template}"
    )
