"""Review coverage: who accepted the audited samples, how many people each, and agreement.

API:
  ReviewRecord(sample_id, status, accepted_by)
  records_from_states(states) / records_from_samples(samples) -> list[ReviewRecord]
  review_audit(records, required_accepts, automatic, agreement=None) -> dict
    {"samples", "required_accepts", "automatic_reviewers",
     "accepted_by_person": figure, "accepted_automatically_only": figure,
     "not_accepted": figure, "unreviewed": int (no person accepted),
     "people_per_sample": {k: count}, "k_of_n_met": figure,
     "agreement": {"pairs", "agreement", "kappa", "mask_iou_pairs", "mask_iou_mean"} | None}

A store gives each candidate's derived state; a release gives the review record each sample
carries in ``meta["review"]``. Reviewers named in ``automatic`` (the demo's
``demo-auto-accept``) accepted without a manual check: they count as no person. Agreement
(Cohen's kappa, mask IoU between reviewers' edits) needs the decision log, so only a store has
it (perbench.agreement); a release carries the figure its audit wrote into the manifest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from evaluators.audit.stats import proportion
from perbench.review_log import SampleState
from perbench.schema import Sample


@dataclass(frozen=True)
class ReviewRecord:
    sample_id: str
    status: str
    accepted_by: tuple[str, ...] = field(default_factory=tuple)


def records_from_states(states: dict[str, SampleState]) -> list[ReviewRecord]:
    return [
        ReviewRecord(sid, state.status, tuple(state.accepted_by)) for sid, state in states.items()
    ]


def records_from_samples(samples: Iterable[Sample]) -> list[ReviewRecord]:
    records = []
    for sample in samples:
        review = sample.meta.get("review") or {}
        status = str(review.get("status", "pending")) if isinstance(review, dict) else "pending"
        accepted = review.get("accepted_by", []) if isinstance(review, dict) else []
        records.append(ReviewRecord(sample.id, status, tuple(str(r) for r in accepted)))
    return records


def _agreement(report: dict[str, Any] | None) -> dict[str, Any] | None:
    if report is None:
        return None
    overall, masks = report["overall"], report["mask_iou"]
    return {
        "pairs": overall["pairs"],
        "agreement": overall["agreement"],
        "kappa": overall["kappa"],
        "mask_iou_pairs": masks["count"],
        "mask_iou_mean": masks["mean"],
    }


def review_audit(
    records: list[ReviewRecord],
    required_accepts: int,
    automatic: Iterable[str],
    agreement: dict[str, Any] | None = None,
) -> dict[str, Any]:
    automatic = set(automatic)
    n = len(records)
    people = Counter()
    person = auto_only = not_accepted = met = 0
    for record in records:
        humans = [r for r in record.accepted_by if r not in automatic]
        people[len(humans)] += 1
        if record.status != "accepted":
            not_accepted += 1
        elif humans:
            person += 1
        else:
            auto_only += 1
        met += record.status == "accepted" and len(humans) >= required_accepts
    return {
        "samples": n,
        "required_accepts": required_accepts,
        "automatic_reviewers": sorted(automatic),
        "accepted_by_person": proportion(person, n),
        "accepted_automatically_only": proportion(auto_only, n),
        "not_accepted": proportion(not_accepted, n),
        "unreviewed": n - person,
        "people_per_sample": {str(k): v for k, v in sorted(people.items())},
        "k_of_n_met": proportion(met, n),
        "agreement": _agreement(agreement),
    }
