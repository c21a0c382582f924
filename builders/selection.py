"""Object selection: which instances become prompt regions, deterministic for a given seed.

API:
  select_objects(facts, config, rng, category_counts) -> (selected, skipped reasons Counter)
  incomplete_categories(image)   categories whose instances may be missing (crowd, LVIS
                                 not-exhaustive): never counted or named in a referring text
  image_rng(seed, *parts)        a numpy Generator seeded from the seed and stable parts

Rules, in order: crowd regions, masks under ``min_area`` pixels, and objects cut by the image
frame beyond ``max_truncation`` are left out; the rest is shuffled by the image's own random
stream and capped at ``max_instances_per_image``, and at ``max_per_category`` per category
within a shard (``category_counts`` carries the shard's running counts).
"""

from __future__ import annotations

import hashlib
from collections import Counter

import numpy as np

from builders.config import BuildConfig
from builders.objects import ObjectFacts
from perbench.sources import SourceImage


def image_rng(seed: int, *parts: object) -> np.random.Generator:
    """A random stream that depends only on ``seed`` and ``parts`` (not on the process)."""
    digest = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def incomplete_categories(image: SourceImage) -> set[str]:
    crowd = {i.category for i in image.instances if i.iscrowd and i.category}
    return crowd | set(image.extra.get("not_exhaustive_categories", []))


def select_objects(
    facts: list[ObjectFacts],
    config: BuildConfig,
    rng: np.random.Generator,
    category_counts: Counter[str],
) -> tuple[list[ObjectFacts], Counter[str]]:
    """The selected objects (in instance order) and the count of each reason for leaving one out."""
    skipped: Counter[str] = Counter()
    eligible = []
    for fact in facts:
        if fact.instance.iscrowd:
            skipped["crowd region"] += 1
        elif fact.area < config.min_area:
            skipped["area below min_area"] += 1
        elif fact.truncation > config.max_truncation:
            skipped["truncated by the image frame"] += 1
        else:
            eligible.append(fact)
    chosen = []
    for position in rng.permutation(len(eligible)):
        fact = eligible[int(position)]
        key = fact.category or ""
        if len(chosen) >= config.max_instances_per_image:
            skipped["max_instances_per_image cap"] += 1
        elif (
            config.max_per_category is not None and category_counts[key] >= config.max_per_category
        ):
            skipped["max_per_category cap"] += 1
        else:
            chosen.append(fact)
            category_counts[key] += 1
    return sorted(chosen, key=lambda f: f.index), skipped
