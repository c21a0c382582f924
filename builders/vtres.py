"""V-T RES candidates: texts that refer to target object(s) through prompt regions.

API:
  Referral                    one referring text with its prompts and exact target set
  referrals(scene) -> (list[Referral], skipped Counter)    every referral that is kept
  shortcut(scene, referral) -> str | None   the shortcut that finds the targets without the
                              relation (a skip reason), else None
  vtres_samples(scene) -> (samples, skipped Counter)        a seeded, rate-controlled choice

Relations (builders.relations, all on visible masks): left_of, right_of, above, below, touching,
nearest (one prompt, a named category), between (two prompts), same_category (no category named).
The words come from builders.vtres_wording: seeded, many phrasings, never the target count.
A referral is kept only when
- its category is declared exhaustively annotated (scene.count_known, builders.completeness):
  a text's target set is every instance that satisfies it, which an unannotated instance would
  make false (V-T RES carries no completeness need: it is not drafted without the declaration);
- every instance of the named category in the image (prompts excluded; crowd regions never) gets
  a clear True/False from the relation test, so exactly the target set satisfies the text;
- no identity doubt (builders.claims.piece_groups): no prompt may be a piece of an object cut
  in two, a nearest target has no possible other piece, and the possible pieces of one object
  are all targets or none (their union is then the object either way);
- the relation matters: the targets differ from each shortcut's (``shortcut``): the category
  alone, the category minus the prompts, and the instance nearest to a prompt (for every
  relation but nearest); a same-category text has two targets or more. Every target is a
  selected object (big and whole enough to segment).
Each skip is counted by reason in the build summary.
No-target texts come from present categories where nothing satisfies the relation (a known-absent
category would be found by its name alone). Per image, up to ``vtres_per_image`` referrals are
drawn: each draw is no-target with probability ``no_target_rate``, multi-target with
``multi_target_rate``, else single-target (a wanted single or multi kind that is exhausted falls
back to the other of the two and drawing stops when both are; no-target is never a fallback, so
its share stays at or under its rate; a kind whose rate is 0 is never drawn); the kinds drawn
are counted in the build summary (``vt_res_kinds``, ``vt_res_rates``).
Each sample's ``meta["image_instances"]`` lists every annotated instance of its image (id,
category, crowd, exhaustive, mask RLE): the audit re-checks vacuity and ambiguity on them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from builders.claims import group_of
from builders.objects import ObjectFacts
from builders.relations import PAIR_RELATIONS, between, mask_gap, nearest
from builders.scene import Scene
from builders.vtres_wording import referring_text
from perbench.schema import Sample, make_sample_id

FALLBACK = {"single": ["multi"], "multi": ["single"], "none": ["single", "multi"]}
SHORTCUTS = {
    "category": "vt_res shortcut: the category alone finds the targets",
    "others": "vt_res shortcut: the category minus the prompts finds the targets",
    "nearest": "vt_res shortcut: the nearest instance is the target",
    "few": "vt_res shortcut: a same-category text with one target (the nearest one)",
}
SPLIT_PROMPT = "vt_res identity: a prompt may be one piece of an object cut in two"
SPLIT_TARGET = "vt_res identity: the pieces of one possible object are not all targets or none"


@dataclass
class Referral:
    """``kind`` is single, multi or none; ``category`` None for same_category texts."""

    relation: str
    category: str | None
    prompts: list[ObjectFacts]
    targets: list[ObjectFacts]
    pool_size: int = 2

    @property
    def kind(self) -> str:
        return "none" if not self.targets else "single" if len(self.targets) == 1 else "multi"

    @property
    def named(self) -> str | None:
        """The category the text's targets belong to (the prompt's for same-category texts)."""
        return self.prompts[0].category if self.relation == "same_category" else self.category


def _named_categories(scene: Scene) -> set[str]:
    present = {f.category for f in scene.facts if not f.instance.iscrowd and f.category}
    return {c for c in present if scene.count_known(c)}


def shortcut(scene: Scene, referral: Referral) -> str | None:
    """The first shortcut whose set equals the targets (module doc), as a skip reason."""
    targets = {t.index for t in referral.targets}
    every = [f for f in scene.facts if f.category == referral.named and not f.instance.iscrowd]
    prompts = {p.index for p in referral.prompts}
    others = [f for f in every if f.index not in prompts]
    if referral.relation == "same_category":
        objects = {min(f.index for f in group_of(scene, t)) for t in referral.targets}
        return SHORTCUTS["few"] if len(objects) < 2 else None
    if targets == {f.index for f in every}:
        return SHORTCUTS["category"]
    if targets == {f.index for f in others}:
        return SHORTCUTS["others"]
    if referral.relation != "nearest" and others and targets:
        closest = min(others, key=lambda f: min(mask_gap(f, p) for p in referral.prompts))
        if targets == {f.index for f in group_of(scene, closest)}:  # its possible pieces too
            return SHORTCUTS["nearest"]
    return None


def _identity(scene: Scene, referral: Referral) -> str | None:
    """Why the annotations may not be the objects the text counts (module doc), or None."""
    if any(len(group_of(scene, p)) > 1 for p in referral.prompts):
        return SPLIT_PROMPT
    targets = {t.index for t in referral.targets}
    for target in referral.targets:
        members = {f.index for f in group_of(scene, target)}
        if referral.relation == "nearest" and len(members) > 1 or not members <= targets:
            return SPLIT_TARGET
    return None


def _judge(
    relation: str,
    category: str | None,
    prompts: list[ObjectFacts],
    verdicts: list[tuple[ObjectFacts, bool | None]],
    skipped: Counter[str],
) -> Referral | None:
    if any(v is None for _, v in verdicts):
        skipped["vt_res ambiguous (an object is too close to call)"] += 1
        return None
    targets = [f for f, v in verdicts if v]
    return Referral(relation, category, prompts, targets, len(verdicts))


def referrals(scene: Scene) -> tuple[list[Referral], Counter[str]]:
    skipped: Counter[str] = Counter()
    found: list[Referral] = []
    categories = sorted(_named_categories(scene))
    margin = scene.margin

    def pool(category: str | None, exclude: list[ObjectFacts]) -> list[ObjectFacts]:
        ids = {p.index for p in exclude}
        return [
            f
            for f in scene.facts
            if f.category == category and f.index not in ids and not f.instance.iscrowd
        ]

    for prompt in scene.selected:
        for name, test in PAIR_RELATIONS.items():
            for category in categories:
                verdicts = [(f, test(f, prompt, margin)) for f in pool(category, [prompt])]
                found.append(_judge(name, category, [prompt], verdicts, skipped))
        for category in categories:
            candidates = pool(category, [prompt])
            if candidates:
                winner = nearest(candidates, prompt, scene.config.nearest_ratio, margin)
                if winner is None:
                    skipped["vt_res ambiguous (nearest not clear)"] += 1
                referral = Referral("nearest", category, [prompt], [winner], len(candidates))
                found.append(referral if winner else None)
        if scene.count_known(prompt.category):
            found.append(Referral("same_category", None, [prompt], pool(prompt.category, [prompt])))
    for first, second in combinations(scene.selected, 2):
        if abs(first.centroid[0] - second.centroid[0]) < 6 * margin:
            continue
        left, right = sorted((first, second), key=lambda f: f.centroid[0])
        for category in categories:
            verdicts = [(f, between(f, left, right, margin)) for f in pool(category, [left, right])]
            found.append(_judge("between", category, [left, right], verdicts, skipped))
    selected = {f.index for f in scene.selected}
    kept = []
    for referral in found:
        if referral is None:
            continue
        reason = _identity(scene, referral) or shortcut(scene, referral)
        if any(t.index not in selected for t in referral.targets):
            skipped["vt_res target too small or truncated"] += 1
        elif reason:
            skipped[reason] += 1
        else:
            kept.append(referral)
    return kept, skipped


def _draw(scene: Scene, found: list[Referral]) -> list[Referral]:
    rng = scene.rng("vtres")
    config = scene.config
    by_kind: dict[str, list[Referral]] = {"single": [], "multi": [], "none": []}
    for position in rng.permutation(len(found)):
        by_kind[found[int(position)].kind].append(found[int(position)])
    for referrals_of_kind in by_kind.values():
        # texts where the relation, not the category alone, picks the target(s) are drawn first
        referrals_of_kind.sort(key=lambda r: r.pool_size >= 2)
    allowed = ["single"] + [
        k
        for k, rate in (("multi", config.multi_target_rate), ("none", config.no_target_rate))
        if rate > 0
    ]
    chosen = []
    while len(chosen) < config.vtres_per_image and any(by_kind[k] for k in allowed):
        draw = rng.random()
        wanted = (
            "none"
            if draw < config.no_target_rate
            else "multi"
            if draw < config.no_target_rate + config.multi_target_rate
            else "single"
        )
        # a no-target text is never the fallback, so its share stays at most the configured one
        kinds = [k for k in [wanted, *FALLBACK[wanted]] if k in allowed and by_kind[k]]
        if not kinds:
            break
        chosen.append(by_kind[kinds[0]].pop())
    return chosen


def vtres_samples(scene: Scene) -> tuple[list[Sample], Counter[str]]:
    found, skipped = referrals(scene)
    samples = []
    for referral in _draw(scene, found):
        prompt_ids = [p.instance.id for p in referral.prompts]
        sample_id = make_sample_id(
            "vt_res", scene.image.key, prompt_ids, referral.relation, referral.category
        )
        relation: dict[str, Any] = {
            "name": referral.relation,
            "category": referral.category,
            "prompt_instance_ids": prompt_ids,
            "margin_px": round(scene.margin, 3),
        }
        if referral.relation == "nearest":
            relation["nearest_ratio"] = scene.config.nearest_ratio
        meta = {
            "category": referral.category,
            "relation": relation,
            "kind": referral.kind,
            "target_instance_ids": [t.instance.id for t in referral.targets],
            "attributes": {p.instance.id: p.to_meta() for p in referral.prompts},
            # every annotated instance of the image, for the audit's vacuity and ambiguity checks
            "image_instances": [
                {
                    "id": f.instance.id,
                    "category": f.category,
                    "crowd": bool(f.instance.iscrowd),
                    "exhaustive": scene.count_known(f.category),
                    "mask": f.instance.mask,
                }
                for f in scene.facts
            ],
        }
        wording = scene.rng("vtres-text", prompt_ids, referral.relation, referral.category)
        samples.append(
            scene.base_sample(
                "vt_res",
                sample_id,
                referring_text(referral.relation, referral.category, wording),
                referral.prompts,
                meta,
                targets=[t.instance.mask for t in referral.targets],
            )
        )
    return samples, skipped
