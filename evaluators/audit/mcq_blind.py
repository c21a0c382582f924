"""Text-only ("blind") MCQ baselines: what a model scores without ever looking at the image.

API:
  STRATEGIES                      the strategy names, in report order
  blind_baselines(items, progress=False, max_learned=20000, seed=0) -> dict
    {"chance": float, "strategies": {name: {"overall": figure, "by_family": {f: figure}}},
     "best": {"strategy", "accuracy": figure, "chance", "margin"},
     "best_by_family": {family: {"strategy", "accuracy": figure, "chance"}}}

Strategies (each picks one option from the question and option texts alone):
  longest / shortest   the longest / shortest option text
  word_overlap         the option sharing most words with the question
  centrality           among grid-cell options (top left ... bottom right), the most central
  numeric_rank_K       among numeric options, the K-th smallest (K = 0..3)
  letter_prior         the answer position most frequent in the training folds
  family_prior         the answer text most frequent for the question's family (training folds)
  numeric_rank         among numeric options, the rank (smallest = 0) the answer most often
                       has in the question's family (training folds)
  learned              logistic regression over word and character n-grams of question + option
                       (evaluators.audit.folds), the most probable option
Strategies that learn are cross-validated with folds grouped by image (no image on both
sides). A strategy that does not apply to an item (no numbers, no grid cells, no overlap)
picks the first option: with balanced letters that is a chance guess. ``learned`` runs on at
most ``max_learned`` items (whole images drawn with ``seed``); its figure says its n.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
from tqdm import tqdm

from evaluators.audit.folds import group_folds, text_model
from evaluators.audit.mcq_items import McqItem
from evaluators.audit.stats import proportion

RANKS = 4
STRATEGIES = (
    "longest",
    "shortest",
    "word_overlap",
    "centrality",
    *(f"numeric_rank_{rank}" for rank in range(RANKS)),
    "letter_prior",
    "family_prior",
    "numeric_rank",
    "learned",
)
WORD = re.compile(r"[a-z0-9]+")
TAG = re.compile(r"<region\d+>")
HORIZONTAL = {"left": -1, "right": 1, "center": 0, "middle": 0, "centre": 0}
VERTICAL = {"top": -1, "upper": -1, "bottom": 1, "lower": 1, "middle": 0, "center": 0}


def _words(text: str) -> set[str]:
    return set(WORD.findall(TAG.sub(" ", text.lower())))


def _argmax(scores: list[float]) -> int | None:
    best = max(scores)
    if scores.count(best) == len(scores):
        return None
    return scores.index(best)


def _longest(item: McqItem) -> int | None:
    return _argmax([len(o) for o in item.options])


def _shortest(item: McqItem) -> int | None:
    return _argmax([-len(o) for o in item.options])


def _word_overlap(item: McqItem) -> int | None:
    question = _words(item.question)
    return _argmax([len(_words(o) & question) for o in item.options])


def _cell(text: str) -> tuple[int, int] | None:
    words = _words(text)
    if not words or not words <= set(HORIZONTAL) | set(VERTICAL):
        return None
    x = next((HORIZONTAL[w] for w in words if w in ("left", "right")), 0)
    y = next((VERTICAL[w] for w in words if w in ("top", "upper", "bottom", "lower")), 0)
    return x, y


def _centrality(item: McqItem) -> int | None:
    cells = [_cell(o) for o in item.options]
    if any(c is None for c in cells):
        return None
    return _argmax([-(abs(c[0]) + abs(c[1])) for c in cells if c is not None])


def _number(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:
        return None


def _ranks(item: McqItem) -> list[int] | None:
    numbers = [_number(o) for o in item.options]
    if any(n is None for n in numbers):
        return None
    order = sorted(range(len(numbers)), key=lambda i: numbers[i])
    return [order.index(i) for i in range(len(numbers))]


Picker = Callable[[McqItem], int | None]


def _nth_smallest(rank: int) -> Picker:
    def pick(item: McqItem) -> int | None:
        ranks = _ranks(item)
        return ranks.index(rank) if ranks is not None and rank in ranks else None

    return pick


def _trained_pickers(train: list[McqItem]) -> dict[str, Picker]:
    """The three prior strategies fitted on one fold's training items."""
    letters = Counter(item.answer for item in train)
    letter = letters.most_common(1)[0][0] if letters else 0
    answers: dict[str, Counter[str]] = defaultdict(Counter)
    rank_counts: dict[str, Counter[int]] = defaultdict(Counter)
    for item in train:
        answers[item.family][item.answer_text.strip().lower()] += 1
        ranks = _ranks(item)
        if ranks is not None:
            rank_counts[item.family][ranks[item.answer]] += 1

    def family_prior(item: McqItem) -> int | None:
        prior = answers.get(item.family, Counter())
        return _argmax([prior[o.strip().lower()] for o in item.options])

    def numeric_rank(item: McqItem) -> int | None:
        ranks = _ranks(item)
        counts = rank_counts.get(item.family)
        if ranks is None or not counts:
            return None
        wanted = counts.most_common(1)[0][0]
        return ranks.index(wanted) if wanted in ranks else None

    return {
        "letter_prior": lambda item: letter if letter < len(item.options) else None,
        "family_prior": family_prior,
        "numeric_rank": numeric_rank,
    }


def _learned(items: list[McqItem], progress: bool) -> dict[int, int]:
    """Out-of-fold option picks of the n-gram model: item index -> option index."""
    folds = group_folds([item.image_id for item in items])
    picks: dict[int, int] = {}
    for train, test in tqdm(folds, desc="blind MCQ model", disable=not progress, unit="fold"):
        texts, labels = [], []
        for index in train:
            item = items[index]
            for option_index, option in enumerate(item.options):
                texts.append(f"{item.question} || {option}")
                labels.append(int(option_index == item.answer))
        model = text_model().fit(texts, labels)
        rows = [f"{items[i].question} || {option}" for i in test for option in items[i].options]
        scores = model.predict_proba(rows)[:, 1]
        start = 0
        for index in test:  # one batched prediction per fold, split back per item
            width = len(items[index].options)
            picks[int(index)] = int(np.argmax(scores[start : start + width]))
            start += width
    return picks


def _figures(hits: list[bool], families: list[str]) -> dict[str, Any]:
    by_family: dict[str, list[bool]] = defaultdict(list)
    for hit, family in zip(hits, families, strict=True):
        by_family[family].append(hit)
    return {
        "overall": proportion(sum(hits), len(hits)),
        "by_family": {f: proportion(sum(h), len(h)) for f, h in sorted(by_family.items())},
    }


def blind_baselines(
    items: list[McqItem], progress: bool = False, max_learned: int = 20000, seed: int = 0
) -> dict[str, Any]:
    fixed: dict[str, Picker] = {
        "longest": _longest,
        "shortest": _shortest,
        "word_overlap": _word_overlap,
        "centrality": _centrality,
        **{f"numeric_rank_{rank}": _nth_smallest(rank) for rank in range(RANKS)},
    }
    picks: dict[str, list[int | None]] = {name: [f(i) for i in items] for name, f in fixed.items()}
    for name in ("letter_prior", "family_prior", "numeric_rank"):
        picks[name] = [None] * len(items)
    for train, test in group_folds([item.image_id for item in items]):
        pickers = _trained_pickers([items[i] for i in train])
        for name, picker in pickers.items():
            for index in test:
                picks[name][index] = picker(items[index])
    learned_items = _subsample(items, max_learned, seed)
    learned = _learned(learned_items, progress) if learned_items else {}
    families = [item.family for item in items]
    strategies: dict[str, Any] = {}
    for name in STRATEGIES[:-1]:
        hits = [(p or 0) == item.answer for p, item in zip(picks[name], items, strict=True)]
        strategies[name] = _figures(hits, families)
    if learned:
        hits = [learned[i] == item.answer for i, item in enumerate(learned_items) if i in learned]
        strategies["learned"] = _figures(hits, [i.family for i in learned_items])
    chance_by_family: dict[str, list[float]] = defaultdict(list)
    for item in items:
        chance_by_family[item.family].append(1 / len(item.options))
    chance = float(np.mean([1 / len(item.options) for item in items])) if items else None
    return {
        "chance": chance,
        "strategies": strategies,
        "best": _best(strategies, "overall", chance),
        "best_by_family": {
            family: _best(strategies, family, float(np.mean(values)))
            for family, values in sorted(chance_by_family.items())
        },
    }


def _subsample(items: list[McqItem], limit: int, seed: int) -> list[McqItem]:
    if len(items) <= limit:
        return items
    images = sorted({item.image_id for item in items})
    order = np.random.default_rng(seed).permutation(len(images))
    kept: set[str] = set()
    count = Counter(item.image_id for item in items)
    total = 0
    for position in order:
        image = images[int(position)]
        if total + count[image] > limit:
            continue
        kept.add(image)
        total += count[image]
    return [item for item in items if item.image_id in kept]


def _best(strategies: dict[str, Any], family: str, chance: float | None) -> dict[str, Any]:
    best_name, best_figure = None, None
    for name, figures in strategies.items():
        figure = figures["overall"] if family == "overall" else figures["by_family"].get(family)
        if figure is None or figure["value"] is None:
            continue
        if best_figure is None or figure["value"] > best_figure["value"]:
            best_name, best_figure = name, figure
    margin = None
    if best_figure is not None and chance is not None:
        margin = best_figure["value"] - chance
    return {"strategy": best_name, "accuracy": best_figure, "chance": chance, "margin": margin}
