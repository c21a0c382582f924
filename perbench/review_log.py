"""The review log's meaning: each decision entry, and a sample's state derived from its log.

API:
  DECISIONS       accept, edit_accept, reject, skip, undo, resolve_accept, resolve_reject,
                  spot_ok, spot_error (a spot check's verdict on an accepted sample)
  SPOT_VERDICTS   spot_ok, spot_error: logged, hash-chained, and never change a sample's status
  STATUSES        conflict, pending, in_review, accepted, rejected (the review queue order)
  Decision        one append-only log entry (seq, sample, reviewer, decision, before/after...,
                  version: the sha256 of the sample as the reviewer saw it, None on old entries;
                  payload_sha256 / image_sha256: the stored content it was made on, None on
                  entries older than content hashing; .reasons: the structured reasons)
  SampleState     the derived status, who accepted/rejected, the edits to apply, and the
                  structured reasons (perbench.needs) of the live rejects and edits
  derive_state(sample_id, log, required_accepts) -> SampleState
  VERSION_FIELDS  the fields a version hash covers
  payload_version(payload) -> str   sha256 of the canonical JSON of those fields of a sample dict
  AUTO_REVIEWER   the reviewer name of automatic accepts (``perbench demo``); the audit does not
                  count them as a person's check

The log lives in ``perbench.store.CandidateStore``; nothing here touches storage, so the review
app can re-derive states incrementally from new entries alone.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from perbench.needs import decode_reasons

SPOT_VERDICTS = ("spot_ok", "spot_error")
DECISIONS = (
    "accept", "edit_accept", "reject", "skip", "undo", "resolve_accept", "resolve_reject",
    *SPOT_VERDICTS,
)  # fmt: skip
STATUSES = ("conflict", "pending", "in_review", "accepted", "rejected")
AUTO_REVIEWER = "demo-auto-accept"
VERSION_FIELDS = (
    "id", "task", "image_id", "width", "height", "question", "prompts", "references", "options",
    "answer", "targets",
)  # fmt: skip


def payload_version(payload: dict[str, Any]) -> str:
    """The version hash of a sample (``Sample.to_dict()``): what a decision is bound to."""
    canonical = json.dumps(
        {name: payload.get(name) for name in VERSION_FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Decision:
    """One entry of the append-only decision log."""

    seq: int
    sample_id: str
    reviewer: str
    decision: str
    reason: str | None
    note: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    undoes: int | None
    created_at: str
    app_version: str
    version: str | None = None
    payload_sha256: str | None = None
    image_sha256: str | None = None

    @property
    def reasons(self) -> list[dict[str, Any]]:
        """Structured reasons (``perbench.needs``); a legacy plain-text reason is ``other``."""
        return decode_reasons(self.reason)


@dataclass
class SampleState:
    """A sample's review state, derived from its decision log alone."""

    sample_id: str
    status: str
    accepted_by: list[str] = field(default_factory=list)
    rejected_by: list[str] = field(default_factory=list)
    edits: dict[str, Any] = field(default_factory=dict)
    reasons: list[dict[str, Any]] = field(default_factory=list)
    live_decisions: list[Decision] = field(default_factory=list)
    versions: dict[str, list[str]] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        """The review record a release keeps in ``meta["review"]``."""
        last = self.live_decisions[-1] if self.live_decisions else None
        return {
            "status": self.status,
            "accepted_by": self.accepted_by,
            "rejected_by": self.rejected_by,
            "edited_fields": sorted(self.edits),
            "decisions": len(self.live_decisions),
            "last_decision_at": last.created_at if last else None,
        }


def derive_state(sample_id: str, log: list[Decision], required_accepts: int = 1) -> SampleState:
    """Status of one sample from its log (oldest first).

    Undo entries cancel the entry they name; skips and spot-check verdicts never change the
    status. Each reviewer's
    latest accept/edit_accept/reject counts once. Accepts and rejects together, accepts of
    different versions (an accept of the draft after someone else's edit), or two different
    edits, are a ``conflict``; a ``resolve_*`` decision settles the sample. Otherwise
    ``required_accepts`` accepts (all of one version) make it ``accepted``, any reject makes it
    ``rejected``. ``versions`` maps each accepted version to its reviewers (entries logged before
    versions were recorded have none and agree with any version, as they always did).
    """
    undone = {d.undoes for d in log if d.decision == "undo"}
    ignored = ("undo", "skip", *SPOT_VERDICTS)
    live = [d for d in log if d.seq not in undone and d.decision not in ignored]
    latest_by_reviewer: dict[str, Decision] = {}
    resolution: Decision | None = None
    for entry in live:
        if entry.decision.startswith("resolve_"):
            resolution = entry
        else:
            latest_by_reviewer[entry.reviewer] = entry
    accepted_by = sorted(
        r for r, d in latest_by_reviewer.items() if d.decision in ("accept", "edit_accept")
    )
    rejected_by = sorted(r for r, d in latest_by_reviewer.items() if d.decision == "reject")
    edit_entries = [d for d in latest_by_reviewer.values() if d.decision == "edit_accept"]
    distinct_edits = {json.dumps(d.after, sort_keys=True) for d in edit_entries}
    versions: dict[str, list[str]] = {}
    for name in accepted_by:
        if latest_by_reviewer[name].version:
            versions.setdefault(latest_by_reviewer[name].version, []).append(name)
    edits = max(edit_entries, key=lambda d: d.seq).after if edit_entries else {}
    counted = [*latest_by_reviewer.values(), *([resolution] if resolution else [])]
    reasons = [reason for d in counted if d.decision != "accept" for reason in d.reasons]
    if resolution is not None:
        status = "accepted" if resolution.decision == "resolve_accept" else "rejected"
        edits = resolution.after or edits
    elif (accepted_by and rejected_by) or len(distinct_edits) > 1 or len(versions) > 1:
        status = "conflict"
    elif len(accepted_by) >= required_accepts:
        status = "accepted"
    elif rejected_by:
        status = "rejected"
    elif accepted_by:
        status = "in_review"
    else:
        status = "pending"
    return SampleState(
        sample_id, status, accepted_by, rejected_by, dict(edits or {}), reasons, live, versions
    )
