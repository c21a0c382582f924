"""The drafter interface: one call turns an object's facts into a draft detailed description.

API:
  DraftRequest     what a drafter sees: the image, the prompt mask, the facts, the template draft
  Drafter          base class: ``name``, ``version``, ``draft(request) -> str``
  DrafterError     a drafter that cannot load or answer (PerBenchError)
  instruction(request)   the instruction text a model-backed drafter sends with the image

``facts`` (JSON) holds: category, supercategory, colors [[name, fraction]], size, position,
count_in_image, size_rank, neighbours {direction: noun}, neighbour_ids {direction: instance id},
texts (source expressions) and captions.
The region is ``<region1>``; model-backed drafters see it outlined on the image (perbench.render).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from builders.grammar import indefinite
from perbench.errors import PerBenchError
from perbench.masks import RLE


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


def instruction(request: DraftRequest) -> str:
    """The instruction for a vision-language model: describe the outlined region from the facts."""
    facts = {k: v for k, v in request.facts.items() if v not in (None, [], {})}
    noun = request.facts.get("category") or "object"
    return (
        f"The object outlined in red and labelled region1 is {indefinite(noun, noun)}. "
        "Write a detailed description of it in "
        "3 to 5 sentences: what it is, its colour and material, its shape and parts, what it is "
        "doing or holding, and where it is relative to nearby objects. Describe only that "
        "object and only what is visible. Known facts (JSON): "
        f"{json.dumps(facts, sort_keys=True)}. A plain draft to improve on: {request.template}"
    )
