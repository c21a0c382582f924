"""Reference and shortcut resolvers of V-T RES texts over the DRAWN truth scene.

API:
  parse(text) -> (relation, category | None)   read back from the words alone
  drawn_targets(sample, scene) -> set[int] | None   the drawn objects the sample's targets mark
                    (None when a target marks only some pieces of an object)
  resolve(sample, scene) -> set[int]     the reference: the text's category and relation applied
                    to every drawn object, annotated or not (indices into scene.objects)
  SHORTCUTS         name -> resolver(sample, scene) -> set[int] | None: the category alone, the
                    category minus the prompts (texts that name a category), the instance
                    nearest to a prompt (texts whose relation is not "nearest"); None where the
                    shortcut does not apply

A split object is one drawn object (its visible mask joins its pieces); prompts are the drawn
objects their annotations belong to.
"""

from __future__ import annotations

import re

from builders.grammar import plural
from tests.builders.scenes import (
    CATEGORIES,
    TruthScene,
    truth_between,
    truth_direction,
    truth_gap,
    truth_touching,
)

RELATION_WORDS = {
    "to the left of": "left_of", "left of": "left_of", "to the right of": "right_of",
    "right of": "right_of", "above": "above", "higher up than": "above", "below": "below",
    "beneath": "below", "lower down than": "below", "touching": "touching",
    "in contact with": "touching", "between": "between", "nearest to": "nearest",
    "closest to": "nearest", "same category as": "same_category", "same kind as": "same_category",
}  # fmt: skip
NOUNS = {plural(name): name for name, _ in CATEGORIES} | {name: name for name, _ in CATEGORIES}


def parse(text: str) -> tuple[str, str | None]:
    words = sorted(RELATION_WORDS, key=len, reverse=True)
    found = re.search(r"\b(" + "|".join(words) + r") <region1>", text)
    if found is None:
        raise ValueError(f"no relation in {text!r}")
    relation = RELATION_WORDS[found.group(1)]
    if relation == "same_category":
        return relation, None
    nouns = re.findall(r"\b(" + "|".join(sorted(NOUNS, key=len, reverse=True)) + r")\b", text)
    if len(set(nouns)) != 1:
        raise ValueError(f"not one category in {text!r}")
    return relation, NOUNS[nouns[0]]


def _prompts(sample, scene: TruthScene) -> list[int]:
    objects = [scene.annotated(i)[0] for i in sample.source["prompt_instance_ids"]]
    return [scene.objects.index(o) for o in objects]


def drawn_targets(sample, scene: TruthScene) -> set[int] | None:
    ids = set(sample.meta["target_instance_ids"])
    found = set()
    for index, obj in enumerate(scene.objects):
        pieces = {piece_id for piece_id, _ in obj.pieces}
        if pieces & ids and not pieces <= ids:
            return None
        if pieces & ids:
            found.add(index)
    return found


def _pool(sample, scene: TruthScene, category: str | None) -> tuple[list[int], list[int]]:
    prompts = _prompts(sample, scene)
    category = category or scene.objects[prompts[0]].category
    pool = [i for i, o in enumerate(scene.objects) if o.category == category and i not in prompts]
    return prompts, pool


def resolve(sample, scene: TruthScene) -> set[int]:
    relation, category = parse(sample.question)
    prompts, pool = _pool(sample, scene, category)
    objects, first = scene.objects, scene.objects[prompts[0]]
    if relation == "same_category":
        return set(pool)
    if relation == "nearest":
        gaps = sorted((truth_gap(objects[i], first), i) for i in pool)
        return {gaps[0][1]} if len(gaps) == 1 or gaps[0][0] < gaps[1][0] else set()
    if relation == "touching":
        return {i for i in pool if truth_touching(objects[i], first)}
    if relation == "between":
        second = objects[prompts[1]]
        return {i for i in pool if truth_between(objects[i], first, second)}
    return {i for i in pool if truth_direction(objects[i], first, relation)}


def _category_alone(sample, scene: TruthScene) -> set[int] | None:
    category = parse(sample.question)[1]
    if category is None:
        return None
    return {i for i, o in enumerate(scene.objects) if o.category == category}


def _category_minus_prompts(sample, scene: TruthScene) -> set[int] | None:
    category = parse(sample.question)[1]
    return None if category is None else set(_pool(sample, scene, category)[1])


def _nearest_instance(sample, scene: TruthScene) -> set[int] | None:
    relation, category = parse(sample.question)
    if relation == "nearest":
        return None
    prompts, pool = _pool(sample, scene, category)
    if not pool:
        return set()
    gap = {i: min(truth_gap(scene.objects[i], scene.objects[p]) for p in prompts) for i in pool}
    return {min(pool, key=gap.get)}


SHORTCUTS = {
    "category alone": _category_alone,
    "category minus prompts": _category_minus_prompts,
    "nearest instance": _nearest_instance,
}
