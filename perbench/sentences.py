"""A description's statements: its references cut into sentences, numbered as reviewers see them.

API:
  split_sentences(text) -> [str]           the sentences of one reference, in order
  description_sentences(references) -> [(reference index, sentence)]
      every sentence of every reference, in reference order; a structured reason's
      ``sentence`` (perbench.needs) is a 0-based index into this list

A sentence ends at ".", "!" or "?" (or one followed by a closing quote or bracket), then white
space and a capital letter, a digit or an opening quote or bracket, so "3.5 m" and "e.g. a cup"
stay whole.
"""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+(?=[A-Z0-9\"'(\[])")


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` (stripped, empty ones dropped)."""
    return [part.strip() for part in _BOUNDARY.split(text or "") if part.strip()]


def description_sentences(references: list[str] | None) -> list[tuple[int, str]]:
    """(reference index, sentence) of every sentence of ``references``, in order."""
    return [
        (index, sentence)
        for index, reference in enumerate(references or [])
        for sentence in split_sentences(reference)
    ]
