"""MCQ items as the audit counts them, their answer-letter balance and their repeats.

API:
  McqItem                        one question (circular rotations folded into their rotation 0)
  mcq_items(samples) -> list[McqItem]
  letter_balance(samples) -> {"letters": {A: figure}, "max_share": figure, "expected": float}
  repeats(items) -> {"overall": figure, "by_family": {family: figure}, "examples": [...]}

A rotation of a circular group is the same question, so blind baselines and repeats count each
group once (its lowest rotation). An item *repeats* another when both have the same image,
question text and answer text (usually a different region asks the same thing): every item of
such a set but the first counts as repeated, so the figure is the share that could be removed.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from evaluators.audit.stats import proportion
from perbench.schema import OPTION_LETTERS, Sample

EXAMPLES_SHOWN = 10


@dataclass(frozen=True)
class McqItem:
    id: str
    image_id: str
    family: str
    question: str
    options: tuple[str, ...]
    answer: int

    @property
    def answer_text(self) -> str:
        return self.options[self.answer]


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def mcq_items(samples: Iterable[Sample]) -> list[McqItem]:
    """One item per MCQ sample, or per circular group (its lowest rotation)."""
    chosen: dict[str, tuple[int, Sample]] = {}
    for sample in samples:
        if sample.task != "mcq" or not sample.options or sample.answer is None:
            continue
        circular = sample.meta.get("circular") or {}
        key = str(circular.get("group", sample.id))
        rotation = int(circular.get("rotation", 0))
        if key not in chosen or rotation < chosen[key][0]:
            chosen[key] = (rotation, sample)
    return [
        McqItem(
            s.id,
            s.image_id,
            str(s.meta.get("family") or "unknown"),
            s.question,
            tuple(s.options or ()),
            int(s.answer or 0),
        )
        for _, s in sorted(chosen.values(), key=lambda pair: pair[1].id)
    ]


def letter_balance(samples: Iterable[Sample]) -> dict[str, Any]:
    letters: Counter[str] = Counter()
    widths: list[int] = []
    for sample in samples:
        if sample.task == "mcq" and sample.options and sample.answer is not None:
            letters[OPTION_LETTERS[sample.answer]] += 1
            widths.append(len(sample.options))
    n = sum(letters.values())
    width = max(widths, default=0)
    shown = {letter: proportion(letters[letter], n) for letter in OPTION_LETTERS[:width]}
    top = max(letters.values(), default=0)
    return {
        "letters": shown,
        "max_share": proportion(top, n),
        "expected": 1 / width if width else None,
    }


def repeats(items: list[McqItem]) -> dict[str, Any]:
    sets: dict[tuple[str, str, str], list[McqItem]] = defaultdict(list)
    for item in items:
        sets[(item.image_id, _normal(item.question), _normal(item.answer_text))].append(item)
    repeated = {item.id for group in sets.values() for item in group[1:]}
    by_family: dict[str, list[McqItem]] = defaultdict(list)
    for item in items:
        by_family[item.family].append(item)
    examples = [
        {
            "image_id": key[0],
            "question": group[0].question,
            "answer": group[0].answer_text,
            "items": [i.id for i in group],
        }
        for key, group in sorted(sets.items(), key=lambda kv: -len(kv[1]))
        if len(group) > 1
    ][:EXAMPLES_SHOWN]
    return {
        "overall": proportion(len(repeated), len(items)),
        "by_family": {
            family: proportion(sum(i.id in repeated for i in group), len(group))
            for family, group in sorted(by_family.items())
        },
        "examples": examples,
    }
