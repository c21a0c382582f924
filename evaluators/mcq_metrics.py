"""Multiple-choice metrics under the two protocols.

API:
  official_hit(prediction, answer)   -> bool          letter of the answer is a substring
  extract_option(prediction, options) -> int | None   the one option a text names, else None
  OfficialMCQ    accuracy by the substring rule (state: hits, count)
  StrictMCQ      accuracy on extracted options; invalid answers counted; circular accuracy
                 over rotation groups (state: hits, invalid, count, groups {id: [seen, hits]})

official (the authors' rule, holes included): a hit when the correct letter ("B") occurs
anywhere in the prediction, so "A B C D" is always right.
strict: a prediction names an option by its letter ("B", "(B)", "B.", "answer: B") or by the
option's text; it counts only if exactly one option is named, otherwise it is *invalid* and
wrong (never a random pick). A capital "A" or "I" followed by a lower-case word is read as the
English word, not a letter ("A red chair"), unless that word is one an article never precedes
("A and B", "A is correct"). A letter inside a named option's text belongs to that text
("vitamin D"). Circular evaluation: samples whose ``meta["circular"]["group"]`` is equal are
rotations of one question (the builders write ``{"group", "rotation", "size"}``); a group is
right only if every rotation is.
"""

from __future__ import annotations

import re
from typing import Any

from evaluators.metric import Metric, State
from perbench.schema import OPTION_LETTERS, Sample

WHOLE_LETTER = re.compile(r"^[\(\[]?([A-Ja-j])[\)\]]?[.:]?$")
STANDALONE_LETTER = re.compile(r"(?<![A-Za-z0-9])([A-J])(?![A-Za-z0-9])")
# "A"/"I" before a lower-case word is the English word, except before words an article or
# pronoun never precedes ("A and B", "Option A is correct").
ENGLISH_WORD_AFTER = re.compile(
    r"\s+(?!(?:is|was|and|or|nor|but|because|since|as|would|seems|appears|matches|"
    r"corresponds|fits)\b)[a-z]"
)


def official_hit(prediction: str, answer: int) -> bool:
    """The authors' rule: the correct letter is a substring of the prediction."""
    return OPTION_LETTERS[answer] in prediction


def _normalize(text: str) -> str:
    return " ".join(text.lower().split()).rstrip(".")


def _named_by_text(text: str, options: list[str]) -> dict[int, list[tuple[int, int]]]:
    """Options whose text occurs in ``text`` as whole words (any case), with the spans where;
    a match inside a longer match does not count."""
    spans = []
    for index, option in enumerate(options):
        needle = _normalize(option)
        if not needle:
            continue
        pattern = re.compile(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", re.IGNORECASE)
        spans += [(m.start(), m.end(), index) for m in pattern.finditer(text)]
    named: dict[int, list[tuple[int, int]]] = {}
    for start, end, index in spans:
        if not any(s <= start and end <= e and (e - s) > (end - start) for s, e, _ in spans):
            named.setdefault(index, []).append((start, end))
    return named


def extract_option(prediction: str, options: list[str]) -> int | None:
    """The 0-based index of the single option ``prediction`` names; None if none or several."""
    text = " ".join(prediction.split())
    whole = WHOLE_LETTER.match(text)
    if whole:
        index = OPTION_LETTERS.index(whole.group(1).upper())
        return index if index < len(options) else None
    by_text = _named_by_text(text, options)
    inside = [span for spans in by_text.values() for span in spans]
    named = set(by_text)
    for match in STANDALONE_LETTER.finditer(text):
        index = OPTION_LETTERS.index(match.group(1))
        if index >= len(options) or any(s <= match.start() < e for s, e in inside):
            continue
        if match.group(1) in "AI" and ENGLISH_WORD_AFTER.match(text, match.end()):
            continue
        named.add(index)
    return named.pop() if len(named) == 1 else None


class OfficialMCQ(Metric):
    task = "mcq"
    name = "mcq_substring"

    def initial_state(self) -> State:
        return {"hits": 0, "count": 0}

    def update(self, sample: Sample, prediction: str | None) -> dict[str, Any]:
        hit = official_hit(prediction or "", sample.answer)
        self.state["hits"] += int(hit)
        self.state["count"] += 1
        return {"correct": hit}

    def result(self) -> dict[str, Any]:
        count = self.state["count"]
        return {"accuracy": self.state["hits"] / count if count else None}


class StrictMCQ(Metric):
    task = "mcq"
    name = "mcq_extracted"

    def initial_state(self) -> State:
        return {"hits": 0, "invalid": 0, "count": 0, "groups": {}}

    def update(self, sample: Sample, prediction: str | None) -> dict[str, Any]:
        chosen = None if prediction is None else extract_option(prediction, sample.options)
        hit = chosen == sample.answer
        self.state["hits"] += int(hit)
        self.state["invalid"] += int(chosen is None)
        self.state["count"] += 1
        group = (sample.meta.get("circular") or {}).get("group")
        if group is not None:
            seen, hits = self.state["groups"].get(str(group), [0, 0])
            self.state["groups"][str(group)] = [seen + 1, hits + int(hit)]
        return {
            "chosen": None if chosen is None else OPTION_LETTERS[chosen],
            "correct": hit,
            "invalid": chosen is None,
        }

    def result(self) -> dict[str, Any]:
        count = self.state["count"]
        groups = self.state["groups"]
        circular = (
            sum(1 for seen, hits in groups.values() if seen == hits) / len(groups)
            if groups
            else None
        )
        return {
            "accuracy": self.state["hits"] / count if count else None,
            "invalid": self.state["invalid"],
            "invalid_rate": self.state["invalid"] / count if count else None,
            "circular_accuracy": circular,
            "circular_groups": len(groups),
        }
