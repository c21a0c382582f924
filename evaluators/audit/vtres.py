"""V-T RES audit: prompt necessity (vacuity), relation redundancy, target-count leakage,
ambiguity re-check.

API:
  vtres_audit(samples, progress=False) -> dict
    {"samples", "without_instances",
     "vacuous": {"overall": figure, "by_kind": {none|single|multi: figure}, "examples": [...]},
     "redundant": {"overall": figure, "by_relation": {relation: figure}, "examples": [...]},
     "target_count": {"learned": figure, "majority": figure, "labels": {label: count}},
     "ambiguity": {"flagged": figure, "borderline": figure, "unchecked": int, "examples": [...]}}

Vacuity: the text with its prompts removed names only a category; the sample is vacuous when
that category's annotated, non-crowd instances in the image (prompts included) are exactly the
targets, so the name alone finds them (a no-target text on a category absent from the image is
vacuous too). Texts that name no category (``same_category``) need their prompt and are never
vacuous. Needs ``meta["image_instances"]`` (the builders record it); samples without it are
counted in ``without_instances`` and left out of the vacuity and ambiguity figures.

Relation redundancy: the relation adds nothing when the targets are exactly the named
category's annotated instances minus the prompts, or (any relation but ``nearest``) the one
instance nearest to a prompt: a model can ignore "touching" or "left of". Same-category texts
name no category and are judged on the nearest instance only. Vacuous samples count as
redundant too.

Target-count leakage: a text-only classifier (evaluators.audit.folds) predicts none / one /
several targets from the question, cross-validated by image; compared with always answering
the most common label.

Ambiguity: each instance of the named category (prompts excluded) is scored against the text
with evaluators.audit.vtres_geometry; a sample is *flagged* when a non-target clearly
satisfies the text or a target clearly does not, *borderline* when an instance's score falls
between the thresholds (or, for ``nearest``, the runner-up's gap is within 20% of the target's).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from tqdm import tqdm

from evaluators.audit.folds import cross_val_labels
from evaluators.audit.stats import proportion
from evaluators.audit.vtres_geometry import (
    NO,
    YES,
    Instance,
    image_instances,
    matches,
    nearest_gaps,
    verdict,
)
from perbench.schema import Sample

EXAMPLES_SHOWN = 20
NEAREST_RATIO = 1.2


def _kind(sample: Sample) -> str:
    count = len(sample.targets or [])
    return "none" if count == 0 else "single" if count == 1 else "multi"


def _relation(sample: Sample) -> str:
    relation = sample.meta.get("relation")
    return str(relation.get("name")) if isinstance(relation, dict) else str(relation or "")


def _parts(sample: Sample, instances: list[Instance]) -> tuple[list[Instance], set[int], bool]:
    """(prompt instances, target instance indexes, every target matched an instance)."""
    prompts = [m for p in sample.prompts if (m := matches(p["mask"], instances)) is not None]
    found = [matches(t, instances) for t in sample.targets or []]
    return prompts, {m.index for m in found if m is not None}, all(m is not None for m in found)


def _vacuous(sample: Sample, instances: list[Instance], targets: set[int], whole: bool) -> bool:
    category = sample.meta.get("category")
    if not category or _relation(sample) == "same_category" or not whole:
        return False
    named = {i.index for i in instances if i.category == category and not i.crowd}
    return named == targets


def _redundant(
    sample: Sample, instances: list[Instance], prompts: list[Instance], targets: set[int]
) -> bool:
    relation = _relation(sample)
    if len(prompts) != len(sample.prompts) or not prompts:
        return False
    prompt_ids = {p.index for p in prompts}
    category = prompts[0].category if relation == "same_category" else sample.meta.get("category")
    pool = [
        i for i in instances if i.category == category and not i.crowd and i.index not in prompt_ids
    ]
    if relation != "same_category" and targets == {i.index for i in pool}:
        return True
    if relation == "nearest" or len(targets) != 1 or not pool:
        return False
    gaps = [nearest_gaps([i.pixels for i in pool], p.pixels) for p in prompts]
    closest = min(range(len(pool)), key=lambda k: min(g[k] for g in gaps))
    return targets == {pool[closest].index}


def _ambiguity(
    sample: Sample, instances: list[Instance], prompts: list[Instance], targets: set[int]
) -> tuple[str, list[str]]:
    relation = _relation(sample)
    prompt_ids = {p.index for p in prompts}
    category = sample.meta.get("category")
    if relation == "same_category":
        if not prompts:
            return "unchecked", ["prompt matches no annotated instance"]
        category = prompts[0].category
        pool = [i for i in instances if i.category == category and not i.crowd]
        others = {i.index for i in pool if i.index not in prompt_ids}
        if others == targets:
            return "agrees", []
        return "flagged", [
            f"other instances of {category!r}: {sorted(others)}, targets {sorted(targets)}"
        ]
    pool = [
        i for i in instances if i.category == category and not i.crowd and i.index not in prompt_ids
    ]
    if not prompts or len(prompts) != len(sample.prompts):
        return "unchecked", ["a prompt matches no annotated instance"]
    strays = sorted(targets - {i.index for i in pool})
    if strays:
        named = ", ".join(instances[i].id for i in strays)
        return "flagged", [f"target {named} is not a {category!r} other than the prompts"]
    if relation == "nearest":
        return _nearest(pool, prompts[0], targets)
    reasons, borderline = [], False
    for instance in pool:
        score = verdict(relation, instance.pixels, [p.pixels for p in prompts])
        if score is None:
            return "unchecked", [f"relation {relation!r} is not re-checked"]
        is_target = instance.index in targets
        if is_target and score <= NO:
            reasons.append(f"target {instance.id} does not satisfy it ({score:.2f})")
        elif not is_target and score >= YES:
            reasons.append(f"non-target {instance.id} satisfies it ({score:.2f})")
        elif NO < score < YES:
            borderline = True
    if reasons:
        return "flagged", reasons
    return ("borderline", []) if borderline else ("agrees", [])


def _nearest(pool: list[Instance], prompt: Instance, targets: set[int]) -> tuple[str, list[str]]:
    if len(targets) != 1 or not pool:
        return "unchecked", ["nearest needs one target among the pool"]
    gaps = nearest_gaps([i.pixels for i in pool], prompt.pixels)
    ranked = sorted(zip(gaps, pool, strict=True), key=lambda pair: pair[0])
    target = next(instance for instance in pool if instance.index in targets)
    if ranked[0][1].index != target.index:
        return "flagged", [f"{ranked[0][1].id} is nearer to the prompt than target {target.id}"]
    if len(ranked) > 1 and ranked[1][0] <= NEAREST_RATIO * ranked[0][0] + 1:
        return "borderline", []
    return "agrees", []


def vtres_audit(samples: list[Sample], progress: bool = False) -> dict[str, Any]:
    samples = [s for s in samples if s.task == "vt_res"]
    by_image: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_image[sample.image_id].append(sample)
    vacuous: dict[str, list[bool]] = defaultdict(list)
    vacuous_examples: list[dict[str, Any]] = []
    redundant: dict[str, list[bool]] = defaultdict(list)
    redundant_examples: list[dict[str, Any]] = []
    outcomes: Counter[str] = Counter()
    ambiguity_examples: list[dict[str, Any]] = []
    missing = 0
    for image_samples in tqdm(
        by_image.values(), desc="V-T RES checks", disable=not progress, unit="image"
    ):
        decoded: dict[str, list[Instance]] = {}
        for sample in image_samples:
            listed = image_instances(sample)
            if listed is None:
                missing += 1
                continue
            # one decode per image: samples of an image share their instance list
            key = repr([i.id for i in listed])
            instances = decoded.setdefault(key, listed)
            prompts, targets, whole = _parts(sample, instances)
            flag = _vacuous(sample, instances, targets, whole)
            vacuous[_kind(sample)].append(flag)
            if flag and len(vacuous_examples) < EXAMPLES_SHOWN:
                vacuous_examples.append({"id": sample.id, "question": sample.question})
            spare = flag or (whole and _redundant(sample, instances, prompts, targets))
            redundant[_relation(sample)].append(spare)
            if spare and len(redundant_examples) < EXAMPLES_SHOWN:
                redundant_examples.append({"id": sample.id, "question": sample.question})
            outcome, reasons = _ambiguity(sample, instances, prompts, targets)
            outcomes[outcome] += 1
            if outcome == "flagged" and len(ambiguity_examples) < EXAMPLES_SHOWN:
                ambiguity_examples.append(
                    {"id": sample.id, "question": sample.question, "reasons": reasons}
                )
    checked = [flag for flags in vacuous.values() for flag in flags]
    judged = outcomes["agrees"] + outcomes["flagged"] + outcomes["borderline"]
    return {
        "samples": len(samples),
        "without_instances": missing,
        "vacuous": {
            "overall": proportion(sum(checked), len(checked)),
            "by_kind": {k: proportion(sum(v), len(v)) for k, v in sorted(vacuous.items())},
            "examples": vacuous_examples,
        },
        "redundant": {
            "overall": proportion(sum(sum(v) for v in redundant.values()), len(checked)),
            "by_relation": {k: proportion(sum(v), len(v)) for k, v in sorted(redundant.items())},
            "examples": redundant_examples,
        },
        "target_count": _target_count(samples, progress),
        "ambiguity": {
            "flagged": proportion(outcomes["flagged"], judged),
            "borderline": proportion(outcomes["borderline"], judged),
            "unchecked": outcomes["unchecked"],
            "examples": ambiguity_examples,
        },
    }


def _target_count(samples: list[Sample], progress: bool) -> dict[str, Any]:
    labels = [_kind(s) for s in samples]
    counts = Counter(labels)
    majority = counts.most_common(1)[0][1] if counts else 0
    predicted = cross_val_labels(
        [s.question for s in samples],
        labels,
        [s.image_id for s in samples],
        progress=progress,
        desc="target-count folds",
    )
    hits = sum(p == t for p, t in zip(predicted, labels, strict=True)) if predicted else 0
    return {
        "learned": proportion(hits, len(labels) if predicted else 0),
        "majority": proportion(majority, len(labels)),
        "labels": dict(sorted(counts.items())),
    }
