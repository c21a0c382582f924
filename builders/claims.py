"""Claims the annotations alone cannot support: that a category is completely annotated, and that
two same-category annotations are two objects. Decides when a draft needs a reviewer's check
(a ``meta["needs"]`` entry, perbench.needs) so every drafter decides it the same way.

API:
  THIN_OCCLUDER_SHARE, MIN_THIN_GAP   the widest gap (share of the image's longer side, and at
                                      least this many pixels) a thin occluder leaves between two
                                      pieces of one object (a pole across a truck)
  thin_gap(scene) -> float            that gap in pixels
  piece_groups(scene) -> list[list[ObjectFacts]]   groups (2+) of same-category, non-crowd
                                      annotations chained by touching or a thin gap: each group
                                      may be one object cut in pieces (cached on the scene)
  group_of(scene, obj) -> list[ObjectFacts]        obj's group (``[obj]`` when it has none)
  complete_need(scene, category, claim) -> need | None
                                      a "complete" need unless scene.count_known(category)
  one_object_need(scene, objects, claim) -> need | None
                                      a "one-object" need when ``objects`` (the annotations a
                                      claim counts or sets apart, e.g. the prompt and its peers)
                                      hold two possible pieces of one object
  claim_needs(scene, category, claim, objects) -> list[need]   both, for ``meta["needs"]``

A claim that counts, says "the only", "the largest", "nearest", "every/all", "no ...", "of the
N people", or "same category as" depends on completeness; one that counts or contrasts
same-category annotations ("another cup", "the other two") depends on identity. A drafter either
leaves such a claim out or drafts it with ``claim_needs(...)`` in ``meta["needs"]``.
"""

from __future__ import annotations

from typing import Any

from builders.grammar import plural
from builders.objects import ObjectFacts
from builders.relations import box_gap, mask_gap
from builders.scene import Scene
from perbench.needs import make_need

THIN_OCCLUDER_SHARE = 0.03
MIN_THIN_GAP = 4.0


def thin_gap(scene: Scene) -> float:
    return max(MIN_THIN_GAP, THIN_OCCLUDER_SHARE * max(scene.image.width, scene.image.height))


def piece_groups(scene: Scene) -> list[list[ObjectFacts]]:
    if "piece_groups" in scene.cache:
        return scene.cache["piece_groups"]
    limit = thin_gap(scene)
    facts = [f for f in scene.facts if not f.instance.iscrowd and f.area]
    parent = {f.index: f.index for f in facts}

    def root(index: int) -> int:
        while parent[index] != index:
            index = parent[index]
        return index

    for i, a in enumerate(facts):
        for b in facts[i + 1 :]:
            if a.category != b.category or box_gap(a, b) > limit:
                continue
            if mask_gap(a, b) <= limit:
                parent[root(b.index)] = root(a.index)
    groups: dict[int, list[ObjectFacts]] = {}
    for f in facts:
        groups.setdefault(root(f.index), []).append(f)
    found = [g for g in groups.values() if len(g) > 1]
    scene.cache["piece_groups"] = found
    return found


def group_of(scene: Scene, obj: ObjectFacts) -> list[ObjectFacts]:
    return next((g for g in piece_groups(scene) if obj in g), [obj])


def _annotated(scene: Scene, category: str) -> list[ObjectFacts]:
    return [f for f in scene.facts if f.category == category and not f.instance.iscrowd]


def complete_need(scene: Scene, category: str | None, claim: str) -> dict[str, Any] | None:
    if category is None or scene.count_known(category):
        return None
    return make_need(
        "complete",
        category,
        f"Is any {category} in the photo not outlined?",
        [f.instance.mask for f in _annotated(scene, category)],
        claim,
    )


def one_object_need(scene: Scene, objects: list[ObjectFacts], claim: str) -> dict[str, Any] | None:
    involved = {f.index for f in objects}
    groups = [g for g in piece_groups(scene) if len({f.index for f in g} & involved) >= 2]
    if not groups:
        return None
    category = groups[0][0].category or "object"
    same = [g for g in groups if g[0].category == category]
    annotated = _annotated(scene, category)
    position = {f.index: i for i, f in enumerate(annotated)}
    pieces = sorted({position[f.index] for g in same for f in g if f.index in involved})
    return make_need(
        "one-object",
        category,
        f"Are two of the outlined {plural(category)} parts of one {category}?",
        [f.instance.mask for f in annotated],
        claim,
        pieces,
    )


def claim_needs(
    scene: Scene, category: str | None, claim: str, objects: list[ObjectFacts]
) -> list[dict[str, Any]]:
    found = [complete_need(scene, category, claim), one_object_need(scene, objects, claim)]
    return [need for need in found if need is not None]
