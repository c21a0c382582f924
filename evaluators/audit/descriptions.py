"""Description audit: duplicate references within an image, wording diversity, reference counts.

API:
  description_audit(samples, near=0.9, self_bleu_max=20000, seed=0, progress=False) -> dict
    {"samples", "identical": {"samples": figure, "pairs": int, "examples"},
     "near_identical": {...same...}, "distinct_1", "distinct_2", "self_bleu": figure,
     "references_per_sample": figure, "words_per_reference": figure}
  normal(text) -> str            lower case, words only: what "identical" compares

Two samples of one image are *identical* when some reference of one equals some reference of
the other after ``normal``; *near-identical* when their character similarity (difflib ratio) is
at least ``near`` but they are not identical. Figures count samples in at least one such pair.
Distinct-n: distinct word n-grams over all n-grams of every reference. Self-BLEU: BLEU-4
(evaluators.audit.self_bleu: NLTK's method-1 BLEU, computed in linear time) of each of up to
``self_bleu_max`` references (seeded draw) against the others of that draw; high means the
references share one template.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from itertools import combinations
from typing import Any

import numpy as np
from tqdm import tqdm

from evaluators.audit.self_bleu import self_bleu
from evaluators.audit.stats import mean_figure, proportion
from perbench.schema import Sample

EXAMPLES_SHOWN = 10
WORDS = re.compile(r"[a-z0-9]+")


def normal(text: str) -> str:
    return " ".join(WORDS.findall(text.lower()))


def _pairs(by_image: dict[str, list[Sample]], near: float, progress: bool) -> dict[str, Any]:
    found: dict[str, list[tuple[Sample, Sample, str, str]]] = {"identical": [], "near": []}
    for samples in tqdm(
        by_image.values(), desc="description pairs", disable=not progress, unit="image"
    ):
        texts = {s.id: [normal(r) for r in s.references or []] for s in samples}
        for first, second in combinations(samples, 2):
            pair = [(a, b) for a in texts[first.id] for b in texts[second.id]]
            same = next(((a, b) for a, b in pair if a == b), None)
            if same:
                found["identical"].append((first, second, *same))
                continue
            for a, b in pair:
                matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
                if matcher.real_quick_ratio() >= near and matcher.ratio() >= near:
                    found["near"].append((first, second, a, b))
                    break
    return found


def _figure(pairs: list[tuple[Sample, Sample, str, str]], total: int) -> dict[str, Any]:
    involved = {s.id for first, second, _, _ in pairs for s in (first, second)}
    return {
        "samples": proportion(len(involved), total),
        "pairs": len(pairs),
        "examples": [
            {"image_id": a.image_id, "ids": [a.id, b.id], "texts": [ta, tb]}
            for a, b, ta, tb in pairs[:EXAMPLES_SHOWN]
        ],
    }


def _distinct(references: list[str], n: int) -> dict[str, Any]:
    grams = [
        tuple(words[i : i + n])
        for words in (normal(r).split() for r in references)
        for i in range(len(words) - n + 1)
    ]
    return {"value": len(set(grams)) / len(grams) if grams else None, "n": len(grams)}


def _self_bleu(references: list[str], limit: int, seed: int) -> dict[str, Any]:
    order = np.random.default_rng(seed).permutation(len(references))[:limit]
    return mean_figure(self_bleu([normal(references[int(i)]).split() for i in order]))


def description_audit(
    samples: list[Sample],
    near: float = 0.9,
    self_bleu_max: int = 20000,
    seed: int = 0,
    progress: bool = False,
) -> dict[str, Any]:
    samples = [s for s in samples if s.task == "description"]
    by_image: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_image[sample.image_id].append(sample)
    found = _pairs(by_image, near, progress)
    references = [r for s in samples for r in s.references or []]
    return {
        "samples": len(samples),
        "identical": _figure(found["identical"], len(samples)),
        "near_identical": _figure(found["near"], len(samples)),
        "distinct_1": _distinct(references, 1),
        "distinct_2": _distinct(references, 2),
        "self_bleu": _self_bleu(references, self_bleu_max, seed),
        "references_per_sample": mean_figure([len(s.references or []) for s in samples]),
        "words_per_reference": mean_figure([len(r.split()) for r in references]),
    }
