"""Multiple-choice candidates: four options, plausible distractors, no text-only shortcut.

API:
  FAMILIES        name -> family(scene, obj, rng, balance) -> Question | None (None = not askable)
  mcq_samples(scene, balance) -> (samples, skipped Counter)     balance: builders.balance

Families (``config.mcq_families``):
  category   "What is shown in <region1>?"; distractors from plausible confusions: the same
             supercategory (in the image, then in the source), categories that co-occur with the
             answer in the shard, categories present elsewhere in the image (only those with no
             instance inside the region's box, so exactly one option stays true), then other
             names of the source's vocabulary whose supercategory is present in the scene
  color      only when one colour clearly dominates the visible pixels and the light allows a
             colour (objects.named_colors, builders.visible_colors);
             distractors are far in CIELAB (Delta E >= 30), never a colour present in the
             region (>= 2% of its pixels), and never one the light rules cannot name (black)
  position   3x3 grid cell, only when the centroid is clear of the grid lines; the options are the
             four cells of the answer's ring (four edges or four corners; the center cell is not
             asked), so how central an option is tells nothing; a cell that has been the answer
             more often than the others of its ring is not asked (ShardBalance.even_answer)
  shape      "What is the shape of the visible part of <region1>?": long and horizontal, vertical or
             slanted (objects.orientation), or compact (principal axes ratio under COMPACT); each
             shape is about as often the answer (ShardBalance.even_answer)
  part       "Which part of <region1> is cut off by the edge of the picture?" (what of the object is
             visible), only when the mask reaches exactly one image edge; options: its left side,
             right side, top, bottom, each about as often the answer
  relation   "In the image, where is <region1> relative to <region2>?" when exactly one
             direction holds on the masks (the viewer's left and right)
  count      "How many chairs are in the image...", only when that category is exhaustively
             annotated and every instance of it is at least ``min_area`` pixels; the four options
             are consecutive numbers and the answer's rank among them is balanced per shard; a
             number that has been the answer more often than the other options is not asked
Position, relation and count questions are asked only on categories declared exhaustive
(scene.count_known), count never where two annotations may be one object (builders.claims), and
only while appearance questions (category, colour, shape, part) stay at least half of the
shard's (ShardBalance.room_for). Category distractors come from the source's vocabulary and,
past the scene's own categories, only of a kind of thing present in the scene.
Each object gets up to ``mcq_per_instance`` questions from its askable families (seeded order);
a question whose (image, question, answer) another object already got is not asked again.
Distractors of the category and colour families are chosen so every option text is about as
often right as wrong (ShardBalance.flattest), and the answer's letter is balanced per family.
With ``mcq_rotations`` each question also yields its other three circular rotations as linked
samples: ``meta["circular"] = {"group": id of rotation 0, "rotation": r, "size": 4}``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from builders.balance import NUM_OPTIONS, ShardBalance
from builders.claims import group_of
from builders.colors import color_distance, present_colors
from builders.grammar import is_mass, is_plural, plural
from builders.objects import POSITIONS, ObjectFacts, ring
from builders.relations import clear_direction
from builders.scene import Scene
from builders.visible_colors import NAMEABLE_COLORS
from perbench.schema import Sample, make_sample_id

MIN_COLOR_DISTANCE = 30.0
COMPACT = 1.3  # principal axes ratio under which a shape is compact (as the drafter says)
POSITION_OPTIONS = {
    "top": "top center",
    "left": "middle left",
    "right": "middle right",
    "bottom": "bottom center",
}
SHAPE_OPTIONS = {
    "horizontal": "long, lying horizontally",
    "vertical": "long, standing vertically",
    "diagonal": "long, set at a slant",
    "compact": "compact, as wide as tall",
}
PART_OPTIONS = {
    "left": "its left side",
    "right": "its right side",
    "top": "its top",
    "bottom": "its bottom",
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


def _tiers(rng: np.random.Generator, *tiers: list[str]) -> list[str]:
    """Distinct names, tier by tier, each tier in a seeded order."""
    chosen: list[str] = []
    for tier in tiers:
        for name in rng.permutation(sorted(set(tier))).tolist():
            if name not in chosen:
                chosen.append(name)
    return chosen


def _inside(other: ObjectFacts, obj: ObjectFacts) -> bool:
    """Does ``other``'s box lie mostly (> 30%) inside ``obj``'s box?"""
    width = min(other.box[2], obj.box[2]) - max(other.box[0], obj.box[0])
    height = min(other.box[3], obj.box[3]) - max(other.box[1], obj.box[1])
    own = max((other.box[2] - other.box[0]) * (other.box[3] - other.box[1]), 1)
    return width > 0 and height > 0 and width * height > 0.3 * own


def _category(
    scene: Scene, obj: ObjectFacts, rng: np.random.Generator, balance: ShardBalance
) -> Question | None:
    if obj.category is None:
        return None
    supers = dict(scene.vocabulary)
    supers.update({f.category: f.instance.supercategory for f in scene.facts if f.category})
    answer, sup = obj.category, obj.instance.supercategory
    present = {f.category for f in scene.facts if f.category}
    inside = {f.category for f in scene.facts if f.index != obj.index and _inside(f, obj)}
    elsewhere = present - inside - {answer}
    related = {n for n, s in supers.items() if sup and s == sup and n != answer}
    vocabulary = {n for n, _ in scene.vocabulary}
    together = [n for n in balance.cooccurring(answer) if n not in present and n in vocabulary]
    # a confusion is plausible in this scene when its kind of thing is here (never a name from
    # another label set of the source: the VOC photo gets no arc2017 product names)
    kinds = {f.instance.supercategory for f in scene.facts if f.instance.supercategory}
    pool = _tiers(
        rng,
        list(elsewhere & related),
        list(related - present),
        together,
        list(elsewhere),
        [n for n in vocabulary - present if supers.get(n) in kinds],
    )
    if len(pool) < NUM_OPTIONS - 1:
        return None
    distractors = balance.flattest("category", pool, NUM_OPTIONS - 1)
    return Question("What is shown in <region1>?", answer, distractors)


def _color(
    scene: Scene, obj: ObjectFacts, rng: np.random.Generator, balance: ShardBalance
) -> Question | None:
    if len(obj.named_colors) != 1:
        return None
    answer = obj.named_colors[0]
    on_object = present_colors(obj.colors)
    allowed = [
        n
        for n in NAMEABLE_COLORS  # a name the light rules never allow would be a known wrong one
        if n not in on_object and color_distance(n, answer) >= MIN_COLOR_DISTANCE
    ]
    pool = _tiers(rng, allowed)
    if len(pool) < NUM_OPTIONS - 1:
        return None
    distractors = balance.flattest("color", pool, NUM_OPTIONS - 1)
    return Question("What is the main colour of <region1>?", answer, distractors)


def _shape(
    scene: Scene, obj: ObjectFacts, rng: np.random.Generator, balance: ShardBalance
) -> Question | None:
    width, height = obj.box[2] - obj.box[0], obj.box[3] - obj.box[1]
    square = 1 / COMPACT <= width / max(height, 1) <= COMPACT  # an L may be compact by moments
    shape = obj.orientation or ("compact" if obj.elongation < COMPACT and square else None)
    if shape is None:
        return None  # somewhat elongated, or no clear axis: no option is plainly right
    named = [SHAPE_OPTIONS[shape], *(t for n, t in SHAPE_OPTIONS.items() if n != shape)]
    # every shape about as often the answer, or a text-only prior finds it (compact, in scenes of
    # blobs); where one shape never occurs, few shape questions are asked
    if not balance.even_answer("shape", named[0], named):
        return None
    return Question("What is the shape of the visible part of <region1>?", named[0], named[1:])


def _part(
    scene: Scene, obj: ObjectFacts, rng: np.random.Generator, balance: ShardBalance
) -> Question | None:
    if len(obj.cut_sides) != 1:
        return None  # whole in the picture, or cut on several sides: no one option is right
    named = [
        PART_OPTIONS[obj.cut_sides[0]],
        *(t for n, t in PART_OPTIONS.items() if n not in obj.cut_sides),
    ]
    if not balance.even_answer("part", named[0], named):
        return None
    return Question(
        "Which part of <region1> is cut off by the edge of the picture?", named[0], named[1:]
    )


def _position(
    scene: Scene, obj: ObjectFacts, rng: np.random.Generator, balance: ShardBalance
) -> Question | None:
    if not scene.count_known(obj.category):
        return None  # position, relation and count questions: declared-exhaustive categories
    if obj.position_margin < scene.config.min_position_margin or ring(obj.position) == 0:
        return None
    same_ring = [p for p in POSITIONS if ring(p) == ring(obj.position) and p != obj.position]
    named = [POSITION_OPTIONS.get(p, p) for p in [obj.position, *same_ring]]
    if not balance.even_answer("position", named[0], named):
        return None  # this cell has been the answer more often than the rest of its ring
    return Question("In which part of the image is <region1>?", named[0], named[1:])


def _relation(
    scene: Scene, obj: ObjectFacts, rng: np.random.Generator, balance: ShardBalance
) -> Question | None:
    if not scene.count_known(obj.category):
        return None
    partners = [
        (f, clear_direction(obj, f))
        for f in scene.selected
        if f.index != obj.index and scene.count_known(f.category) and f not in group_of(scene, obj)
    ]
    partners = [(f, d) for f, d in partners if d is not None]
    if not partners:
        return None
    # the direction that has been the answer least often in the shard, so none is a prior
    used = balance.rights["relation"]
    order = rng.permutation(len(partners)).tolist()
    other, direction = partners[min(order, key=lambda i: used[DIRECTION_OPTIONS[partners[i][1]]])]
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


def _count(
    scene: Scene, obj: ObjectFacts, rng: np.random.Generator, balance: ShardBalance
) -> Question | None:
    if not scene.count_known(obj.category):
        return None
    peers = scene.peers(obj)
    if any(len(group_of(scene, f)) > 1 for f in peers):
        return None  # two annotations may be one object cut in two: the count is unknown
    if any(f.area < scene.config.min_area for f in peers):
        return None  # a reviewer cannot count what is too small to see
    count = len(peers)
    rank = balance.count_rank(count)
    options = [count - rank + k for k in range(NUM_OPTIONS)]
    if not balance.even_answer("count", str(count), [str(n) for n in options]):
        return None  # this number has been the answer more often than the other options
    noun = obj.category or "object"
    if is_plural(noun) or is_mass(noun):
        text = (
            "How many objects of the same kind as <region1> are in the image, <region1> included?"
        )
    else:
        text = f"How many {plural(noun)} are in the image, including the one in <region1>?"
    return Question(text, str(count), [str(n) for n in options if n != count])


Family = Callable[[Scene, ObjectFacts, np.random.Generator, ShardBalance], Question | None]
FAMILIES: dict[str, Family] = {
    "category": _category,
    "color": _color,
    "shape": _shape,
    "part": _part,
    "position": _position,
    "relation": _relation,
    "count": _count,
}


def _questions(
    scene: Scene,
    obj: ObjectFacts,
    balance: ShardBalance,
    asked: set[tuple[str, str]],
    skipped: Counter[str],
) -> list[tuple[str, Question]]:
    rng = scene.rng("mcq", obj.instance.id)
    order = rng.permutation(list(scene.config.mcq_families)).tolist()
    found = []
    for family in order:
        if not balance.room_for(family):
            skipped[f"mcq {family}: appearance questions must stay at least half"] += 1
            continue
        question = FAMILIES[family](scene, obj, rng, balance)
        if question is None:
            skipped[f"mcq {family} not askable"] += 1
            continue
        if (question.text, question.answer) in asked:
            skipped[f"mcq {family} already asked in this image"] += 1
            continue
        asked.add((question.text, question.answer))
        balance.offered(family, question.answer, question.distractors)
        found.append((family, question))
        if len(found) == scene.config.mcq_per_instance:
            break
    return found


def mcq_samples(scene: Scene, balance: ShardBalance) -> tuple[list[Sample], Counter[str]]:
    samples: list[Sample] = []
    skipped: Counter[str] = Counter()
    asked: set[tuple[str, str]] = set()
    balance.see_image({f.category for f in scene.facts if f.category})
    for obj in scene.selected:
        for family, question in _questions(scene, obj, balance, asked, skipped):
            rng = scene.rng("mcq-order", obj.instance.id, family)
            options = rng.permutation(question.distractors).tolist()
            slot = balance.slot(family)
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
