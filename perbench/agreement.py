"""Agreement between reviewers, computed from a candidate store's decision log alone.

API:
  agreement_report(store) -> dict
    {"samples_with_several_reviewers", "conflicts", "overall": {pairs, agreement, kappa},
     "pairs": {"alice|bob": {pairs, agreement, kappa}},
     "mask_iou": {count, mean, median, min, lowest: [{sample_id, reviewers, field, iou}]}}

Decision agreement: for every sample and every pair of reviewers who both gave a verdict (their
latest live accept / edit_accept / reject; resolutions left out), whether both accepted or both
rejected; kappa is Cohen's kappa on those pairs (None when chance agreement is 1). Mask IoU:
for pairs who both accepted and at least one edited a mask field, the IoU of the masks each
approved (an unedited accept approves the draft): the union of targets, or per prompt tag.
It lives in the hub because both the review app and the validity audit report it.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from itertools import combinations
from typing import Any

from perbench.masks import RLE, iou, union_rle
from perbench.review_log import Decision
from perbench.schema import Sample
from perbench.store import CandidateStore

ACCEPTS = ("accept", "edit_accept")
LOWEST_SHOWN = 10


def _kappa(pairs: list[tuple[bool, bool]]) -> tuple[float | None, float | None]:
    """(observed agreement, Cohen's kappa) of (accepted?, accepted?) pairs."""
    if not pairs:
        return None, None
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    first = sum(a for a, _ in pairs) / n
    second = sum(b for _, b in pairs) / n
    chance = first * second + (1 - first) * (1 - second)
    kappa = None if chance >= 1 else (observed - chance) / (1 - chance)
    return observed, kappa


def _approved(draft: Sample, entry: Decision, field: str) -> Any:
    return (entry.after or {}).get(field, getattr(draft, field))


def _mask_ious(draft: Sample, first: Decision, second: Decision) -> list[tuple[str, float]]:
    edited = set(first.after or {}) | set(second.after or {})
    found = []
    if "targets" in edited:
        h, w = draft.height, draft.width
        a = union_rle(_approved(draft, first, "targets") or [], h, w)
        b = union_rle(_approved(draft, second, "targets") or [], h, w)
        found.append(("targets", iou(a, b)))
    if "prompts" in edited:
        masks_a: dict[str, RLE] = {p["tag"]: p["mask"] for p in _approved(draft, first, "prompts")}
        for prompt in _approved(draft, second, "prompts"):
            if prompt["tag"] in masks_a:
                found.append(
                    (f"prompt {prompt['tag']}", iou(masks_a[prompt["tag"]], prompt["mask"]))
                )
    return found


def agreement_report(store: CandidateStore) -> dict[str, Any]:
    """Decision agreement and mask IoU between reviewers, from ``store.states()``."""
    by_pair: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    ious: list[dict[str, Any]] = []
    several = conflicts = 0
    for sample_id, state in store.states().items():
        conflicts += state.status == "conflict"
        latest: dict[str, Decision] = {}
        for entry in state.live_decisions:
            if entry.decision in (*ACCEPTS, "reject"):
                latest[entry.reviewer] = entry
        if len(latest) < 2:
            continue
        several += 1
        draft = None
        for first_name, second_name in combinations(sorted(latest), 2):
            first, second = latest[first_name], latest[second_name]
            pair = (first.decision in ACCEPTS, second.decision in ACCEPTS)
            by_pair[f"{first_name}|{second_name}"].append(pair)
            if all(pair) and "edit_accept" in (first.decision, second.decision):
                draft = draft or store.candidate(sample_id, with_image=False)
                for field, value in _mask_ious(draft, first, second):
                    reviewers = [first_name, second_name]
                    ious.append(
                        {
                            "sample_id": sample_id,
                            "reviewers": reviewers,
                            "field": field,
                            "iou": value,
                        }
                    )
    pooled = [pair for pairs in by_pair.values() for pair in pairs]
    overall_agreement, overall_kappa = _kappa(pooled)
    pairs_report = {}
    for name, pairs in sorted(by_pair.items()):
        agreement, kappa = _kappa(pairs)
        pairs_report[name] = {"pairs": len(pairs), "agreement": agreement, "kappa": kappa}
    values = [item["iou"] for item in ious]
    mask_report = {
        "count": len(values),
        "mean": statistics.fmean(values) if values else None,
        "median": statistics.median(values) if values else None,
        "min": min(values) if values else None,
        "lowest": sorted(ious, key=lambda item: item["iou"])[:LOWEST_SHOWN],
    }
    return {
        "samples_with_several_reviewers": several,
        "conflicts": conflicts,
        "overall": {"pairs": len(pooled), "agreement": overall_agreement, "kappa": overall_kappa},
        "pairs": pairs_report,
        "mask_iou": mask_report,
    }
