"""Multiple-choice candidates: four options, hard distractors, balanced correct letters.

API:
  LetterBalancer(seed, shard).next() -> slot     0..3, each slot once per block of four questions
  FAMILIES        name -> family(scene, obj, rng) -> Question | None (None = not askable here)
  mcq_samples(scene, balancer) -> (samples, skipped Counter)

Families (``config.mcq_families``):
  category   "What is shown in <region1>?"; distractors of the same supercategory present
             in the image first, then same supercategory in the source, then present, then any
  color      only when the dominant colour covers >= min_color_confidence of the object;
             distractors far in CIELAB (Delta E >= 30), colours of other objects first
  position   3x3 grid cell ("top center", "middle left"...), only when the centroid is clear of
             the grid lines; neighbouring cells first
  relation   "In the image, where is <region1> relative to <region2>?" when exactly one
             direction holds (the viewer's left and right)
  count      "How many chairs are in the image...", only when that category is exhaustively
             annotated and every instance of it is at least ``min_area`` pixels
Each object gets up to ``mcq_per_instance`` questions from its askable families (seeded order).
The correct option's slot comes from the shard's LetterBalancer, so letters are uniform over a
build up to one partial block per shard. With ``mcq_rotations`` each question also yields its
other three circular rotations as linked samples: ``meta["circular"] = {"group": id of rotation
0, "rotation": r, "size": 4}``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from builders.colors import COLOR_NAMES, color_distance
from builders.grammar import is_mass, is_plural, plural
from builders.objects import POSITIONS, ObjectFacts
from builders.relations import clear_direction
from builders.scene import Scene
from builders.selection import image_rng
from perbench.schema import Sample, make_sample_id

NUM_OPTIONS = 4
MIN_COLOR_DISTANCE = 30.0
POSITION_OPTIONS = {
    "top": "top center",
    "left": "middle left",
    "right": "middle right",
    "bottom": "bottom center",
}
DIRECTION_OPTIONS = {
    "left_of": "to the left",
    "right_of": "to the right",
    "above": "above",
    "below": "below",
}


@dataclass
class Question:
    """A question before its options are ordered; ``others`` are extra prompt objects."""

    text: str
    answer: str
    distractors: list[str]
    others: list[ObjectFacts] = field(default_factory=list)
    relation: dict[str, Any] | None = None


class LetterBalancer:
    """Hands out answer slots in blocks of four, each block a seeded permutation of 0..3."""

    def __init__(self, seed: int, shard: str):
        self.seed, self.shard, self.issued = seed, shard, 0

    def next(self) -> int:
        block, offset = divmod(self.issued, NUM_OPTIONS)
        self.issued += 1
        return int(
            image_rng(self.seed, self.shard, "letters", block).permutation(NUM_OPTIONS)[offset]
        )


def _tiers(rng: np.random.Generator, *tiers: list[str]) -> list[str]:
    """Distinct names, tier by tier, each tier in a seeded order."""
    chosen: list[str] = []
    for tier in tiers:
        for name in rng.permutation(sorted(set(tier))).tolist():
            if name not in chosen:
                chosen.append(name)
    return chosen


def _category(scene: Scene, obj: ObjectFacts, rng: np.random.Generator) -> Question | None:
    if obj.category is None:
        return None
    supers = dict(scene.vocabulary)
    supers.update({f.category: f.instance.supercategory for f in scene.facts if f.category})
    answer, sup = obj.category, obj.instance.supercategory
    present = {f.category for f in scene.facts if f.category and f.category != answer}
    related = {n for n, s in supers.items() if sup and s == sup and n != answer}
    pool = _tiers(
        rng,
        list(present & related),
        list(related),
        list(present),
        [n for n in supers if n != answer],
    )
    if len(pool) < NUM_OPTIONS - 1:
        return None
    return Question("What is shown in <region1>?", answer, pool[: NUM_OPTIONS - 1])


def _color(scene: Scene, obj: ObjectFacts, rng: np.random.Generator) -> Question | None:
    if not obj.colors or obj.colors[0][1] < scene.config.min_color_confidence:
        return None
    answer = obj.colors[0][0]
    on_object = {name for name, fraction in obj.colors if fraction >= 0.1}
    allowed = [
        n
        for n in COLOR_NAMES
        if n not in on_object and color_distance(n, answer) >= MIN_COLOR_DISTANCE
    ]
    elsewhere = [f.colors[0][0] for f in scene.facts if f.colors and f.index != obj.index]
    pool = _tiers(rng, [n for n in elsewhere if n in allowed], allowed)
    if len(pool) < NUM_OPTIONS - 1:
        return None
    return Question("What is the main colour of <region1>?", answer, pool[: NUM_OPTIONS - 1])


def _position(scene: Scene, obj: ObjectFacts, rng: np.random.Generator) -> Question | None:
    if obj.position_margin < scene.config.min_position_margin:
        return None
    row, column = divmod(POSITIONS.index(obj.position), 3)
    adjacent = [p for i, p in enumerate(POSITIONS) if abs(i // 3 - row) + abs(i % 3 - column) == 1]
    pool = _tiers(rng, adjacent, [p for p in POSITIONS if p != obj.position])
    named = [POSITION_OPTIONS.get(p, p) for p in [obj.position, *pool[: NUM_OPTIONS - 1]]]
    return Question("In which part of the image is <region1>?", named[0], named[1:])


def _relation(scene: Scene, obj: ObjectFacts, rng: np.random.Generator) -> Question | None:
    partners = [
        (f, clear_direction(obj, f, scene.margin)) for f in scene.selected if f.index != obj.index
    ]
    partners = [(f, d) for f, d in partners if d is not None]
    if not partners:
        return None
    other, direction = partners[int(rng.integers(len(partners)))]
    answer = DIRECTION_OPTIONS[direction]
    distractors = [text for name, text in DIRECTION_OPTIONS.items() if name != direction]
    relation = {"name": direction, "subject": obj.instance.id, "object": other.instance.id}
    return Question(
        "In the image, where is <region1> relative to <region2>?",
        answer,
        distractors,
        [other],
        relation,
    )


def _count(scene: Scene, obj: ObjectFacts, rng: np.random.Generator) -> Question | None:
    if not scene.count_known(obj.category):
        return None
    peers = scene.peers(obj)
    if any(f.area < scene.config.min_area for f in peers):
        return None  # a reviewer cannot count what is too small to see
    count = len(peers)
    near = [count + d for d in (-1, 1, 2, -2, 3, 4) if count + d > 0][: NUM_OPTIONS - 1]
    noun = obj.category or "object"
    if is_plural(noun) or is_mass(noun):
        text = (
            "How many objects of the same kind as <region1> are in the image, <region1> included?"
        )
    else:
        text = f"How many {plural(noun)} are in the image, including the one in <region1>?"
    return Question(text, str(count), [str(n) for n in near])


FAMILIES: dict[str, Callable[[Scene, ObjectFacts, np.random.Generator], Question | None]] = {
    "category": _category,
    "color": _color,
    "position": _position,
    "relation": _relation,
    "count": _count,
}


def _questions(scene: Scene, obj: ObjectFacts, skipped: Counter[str]) -> list[tuple[str, Question]]:
    rng = scene.rng("mcq", obj.instance.id)
    order = rng.permutation(list(scene.config.mcq_families)).tolist()
    found = []
    for family in order:
        question = FAMILIES[family](scene, obj, rng)
        if question is None:
            skipped[f"mcq {family} not askable"] += 1
            continue
        found.append((family, question))
        if len(found) == scene.config.mcq_per_instance:
            break
    return found


def mcq_samples(scene: Scene, balancer: LetterBalancer) -> tuple[list[Sample], Counter[str]]:
    samples: list[Sample] = []
    skipped: Counter[str] = Counter()
    for obj in scene.selected:
        for family, question in _questions(scene, obj, skipped):
            rng = scene.rng("mcq-order", obj.instance.id, family)
            options = rng.permutation(question.distractors).tolist()
            slot = balancer.next()
            options.insert(slot, question.answer)
            prompts = [obj, *question.others]
            prompt_ids = [p.instance.id for p in prompts]
            base_id = make_sample_id("mcq", scene.image.key, prompt_ids, family, 0)
            rotations = range(NUM_OPTIONS) if scene.config.mcq_rotations else range(1)
            for rotation in rotations:
                rotated = options[-rotation:] + options[:-rotation]
                meta: dict[str, Any] = {
                    "category": obj.category,
                    "family": family,
                    "attributes": obj.to_meta(),
                    "relation": question.relation,
                }
                if scene.config.mcq_rotations:
                    meta["circular"] = {"group": base_id, "rotation": rotation, "size": NUM_OPTIONS}
                samples.append(
                    scene.base_sample(
                        "mcq",
                        make_sample_id("mcq", scene.image.key, prompt_ids, family, rotation),
                        question.text,
                        prompts,
                        meta,
                        options=rotated,
                        answer=(slot + rotation) % NUM_OPTIONS,
                    )
                )
    return samples, skipped
