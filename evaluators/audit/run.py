"""Run the whole audit on a candidate store, a release, or a list of samples.

API:
  AuditOptions                  what to measure and how (config, meteor, progress, ...)
  audit_samples(samples, review_records, required_accepts, agreement, options) -> report
  audit_store(store, options, accepted_only=False) -> report     (rejected candidates left out
                                of the figures; review["rates"]: reject and edit rates of every
                                settled candidate per task, family, reason: audit.reasons)
  audit_release(release, options) -> report
  audit_path(path, options) -> report    a .sqlite store or a release folder
  release_gate(samples, store, allow_unreviewed) -> perbench.release_gate.AuditOutcome
                                the audit ``perbench release create`` is given (gates applied)

A report is a JSON-ready dict: {"subject", "counts", "needs", "mcq", "vt_res", "description",
"review", "gates"} ("needs": evaluators.audit.needs_share); every figure carries its n and
95% interval (evaluators.audit.stats).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluators.audit.descriptions import description_audit
from evaluators.audit.gates import GateConfig, evaluate_gates, failed
from evaluators.audit.lookfree import lookfree_meteor
from evaluators.audit.mcq_blind import blind_baselines
from evaluators.audit.mcq_items import letter_balance, mcq_items, repeats
from evaluators.audit.needs_share import needs_audit
from evaluators.audit.reasons import REJECT_FLAG, review_rates
from evaluators.audit.review import (
    ReviewRecord,
    records_from_samples,
    records_from_states,
    review_audit,
)
from evaluators.audit.summary import card_markdown, manifest_summary
from evaluators.audit.vtres import vtres_audit
from perbench.agreement import agreement_report
from perbench.errors import PerBenchError
from perbench.review_log import AUTO_REVIEWER
from perbench.schema import TASKS, Sample


@dataclass
class AuditOptions:
    config: GateConfig = field(default_factory=GateConfig)
    allow_unreviewed: bool = False
    automatic_reviewers: tuple[str, ...] = (AUTO_REVIEWER,)
    meteor: str = "nltk"  # nltk | java | none
    max_learned: int = 20000
    seed: int = 0
    progress: bool = True
    reject_flag: float = REJECT_FLAG  # name builder families rejected more often than this


def audit_samples(
    samples: list[Sample],
    review_records: list[ReviewRecord],
    required_accepts: int,
    agreement: dict[str, Any] | None,
    options: AuditOptions,
    subject: dict[str, Any] | None = None,
) -> dict[str, Any]:
    items = mcq_items(samples)
    descriptions = description_audit(samples, seed=options.seed, progress=options.progress)
    descriptions["lookfree_meteor"] = lookfree_meteor(samples, options.meteor, options.progress)
    report: dict[str, Any] = {
        "subject": subject or {},
        "counts": {task: sum(s.task == task for s in samples) for task in TASKS},
        "needs": needs_audit(samples),
        "mcq": {
            "items": len(items),
            "letter_balance": letter_balance(samples),
            "blind": blind_baselines(items, options.progress, options.max_learned, options.seed),
            "repeats": repeats(items),
        },
        "vt_res": vtres_audit(samples, options.progress),
        "description": descriptions,
        "review": review_audit(
            review_records, required_accepts, options.automatic_reviewers, agreement
        ),
    }
    report["gates"] = evaluate_gates(report, options.config, options.allow_unreviewed)
    return report


def audit_store(store, options: AuditOptions, accepted_only: bool = False) -> dict[str, Any]:
    states = store.states()
    if accepted_only:
        samples = list(store.accepted_samples(with_image=False, states=states))
    else:
        samples = [s for s in store.candidates() if states[s.id].status != "rejected"]
    kept = {s.id for s in samples}
    records = [r for r in records_from_states(states) if r.sample_id in kept]
    subject = {"kind": "store", "path": str(store.path), "accepted_only": accepted_only}
    report = audit_samples(
        samples, records, store.required_accepts, agreement_report(store), options, subject
    )
    report["review"]["rates"] = review_rates(store.candidates(), states, options.reject_flag)
    return report


def audit_release(release, options: AuditOptions) -> dict[str, Any]:
    samples = list(release.samples())
    review = release.manifest.get("review") or {}
    subject = {
        "kind": "release",
        "path": str(release.path),
        "name": release.name,
        "version": release.version,
        "fingerprint": release.fingerprint,
    }
    report = audit_samples(
        samples,
        records_from_samples(samples),
        int(review.get("required_accepts", 1)),
        None,
        options,
        subject,
    )
    # the decision log stays with the store: agreement is what the release-time audit measured
    at_release = (release.manifest.get("audit") or {}).get("review") or {}
    report["review"]["kappa_at_release"] = at_release.get("kappa")
    return report


def audit_path(path: str | Path, options: AuditOptions) -> dict[str, Any]:
    path = Path(path)
    if path.is_dir():
        from perbench.release import Release

        return audit_release(Release(path), options)
    if path.is_file():
        from perbench.store import CandidateStore

        return audit_store(CandidateStore(path), options)
    raise PerBenchError(
        "no candidate store or release here", where=str(path), hint="pass a .sqlite or a folder"
    )


def release_gate(samples: list[Sample], store, allow_unreviewed: bool):
    """The audit of the samples about to be released, for perbench.release_gate."""
    from perbench.release_gate import AuditOutcome

    options = AuditOptions(allow_unreviewed=allow_unreviewed, meteor="none", progress=False)
    states = store.states()
    ids = {s.id for s in samples}
    records = [r for r in records_from_states(states) if r.sample_id in ids]
    subject = {"kind": "release candidates", "store": Path(store.path).name}
    report = audit_samples(
        samples, records, store.required_accepts, agreement_report(store), options, subject
    )
    return AuditOutcome(
        summary=manifest_summary(report),
        failures=[{"gate": g["gate"], "text": g["text"]} for g in failed(report["gates"])],
        card=card_markdown(report),
    )
