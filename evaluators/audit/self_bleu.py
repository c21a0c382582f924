"""Self-BLEU: BLEU-4 of each sentence against all the others, exact and in linear time.

API:
  self_bleu(sentences) -> list[float]    sentences: token lists; one score per sentence

Each score equals NLTK's ``sentence_bleu(others, sentence, smoothing_function=method1)``
(uniform weights, clipped n-gram counts, method-1 smoothing epsilon 0.1, brevity penalty from
the closest other length, shorter on ties), but instead of comparing every pair it keeps, per
n-gram, the two largest counts over all sentences: the clip for a sentence is the largest count
held by any *other* sentence. n-gram orders a sentence is too short for are left out of its
geometric mean (NLTK warns and scores them the same way).
"""

from __future__ import annotations

import math
from collections import Counter

ORDERS = 4
EPSILON = 0.1


def _grams(tokens: list[str], n: int) -> Counter:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _closest_other_length(length: int, lengths: Counter) -> int:
    best = None
    for other, count in lengths.items():
        if other == length and count < 2:
            continue  # only the sentence itself has this length
        key = (abs(other - length), other)
        if best is None or key < best:
            best = key
    return best[1] if best else length


def self_bleu(sentences: list[list[str]]) -> list[float]:
    if len(sentences) < 2:
        return []
    counts = [[_grams(tokens, n) for n in range(1, ORDERS + 1)] for tokens in sentences]
    # per order and n-gram: (largest count, its holder, second largest count)
    tops: list[dict[tuple, tuple[int, int, int]]] = [{} for _ in range(ORDERS)]
    for holder, by_order in enumerate(counts):
        for order, grams in enumerate(by_order):
            top = tops[order]
            for gram, count in grams.items():
                first, first_holder, second = top.get(gram, (0, -1, 0))
                if count > first:
                    top[gram] = (count, holder, first)
                elif count > second:
                    top[gram] = (first, first_holder, count)
    lengths = Counter(len(tokens) for tokens in sentences)
    scores = []
    for index, tokens in enumerate(sentences):
        if not tokens:
            scores.append(0.0)
            continue
        logs = []
        for order, grams in enumerate(counts[index]):
            total = sum(grams.values())
            if not total:
                continue
            clipped = 0
            for gram, count in grams.items():
                first, holder, second = tops[order][gram]
                clipped += min(count, second if holder == index else first)
            if order == 0 and clipped == 0:
                logs = []
                break
            logs.append(math.log((clipped or EPSILON) / total))
        if not logs:
            scores.append(0.0)
            continue
        reference = _closest_other_length(len(tokens), lengths)
        penalty = 1.0 if len(tokens) > reference else math.exp(1 - reference / len(tokens))
        scores.append(penalty * math.exp(sum(logs) / ORDERS))
    return scores
