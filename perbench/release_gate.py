"""The release gate: a store's accepted samples are audited before they become a release.

API:
  AuditOutcome(summary, failures, card)     what an audit returns to the gate
  AuditFunction = (samples, store, allow_unreviewed) -> AuditOutcome
  gated_release(store, out_dir, name, version, audit, *, accept_failures=None,
                allow_unreviewed=False, **release_kwargs) -> Path
  override_lines(manifest) -> list[str]     how a release's audit override is displayed, and
                                            which gates could not decide (``uncertain``)

The hub does not know how the audit measures (evaluators.audit does; the CLI passes it in). A
failed gate refuses the release with ``AuditGateError`` naming every failed gate and figure,
unless ``accept_failures`` gives the reason to release anyway: the reason and the failed
figures then go into ``manifest.json`` (``audit_override``) and the dataset card. The audit
summary always goes into the manifest (``audit``) and the card.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perbench.errors import PerBenchError
from perbench.release import release_from_store, verified_log
from perbench.schema import Sample


class AuditGateError(PerBenchError):
    """A release refused because its samples fail a validity gate."""


@dataclass
class AuditOutcome:
    summary: dict[str, Any]
    failures: list[dict[str, Any]]  # each {"gate", "text"}
    card: str


AuditFunction = Callable[[list[Sample], Any, bool], AuditOutcome]


def override_lines(manifest: dict[str, Any]) -> list[str]:
    gates = (manifest.get("audit") or {}).get("gates") or {}
    lines = [f"audit gate {name}: uncertain" for name, v in gates.items() if v == "uncertain"]
    override = manifest.get("audit_override")
    if override:
        lines.append(f"AUDIT GATES OVERRIDDEN: {override['reason']}")
        lines += [f"  failed {f['gate']}: {f['text']}" for f in override["failed"]]
    return lines


def gated_release(
    store,
    out_dir: str | Path,
    name: str,
    version: str,
    audit: AuditFunction,
    *,
    accept_failures: str | None = None,
    allow_unreviewed: bool = False,
    **kwargs: Any,
) -> Path:
    check = verified_log(store)  # a forged store is refused before it is audited
    states = store.states()
    samples = list(store.accepted_samples(with_image=False, states=states))
    outcome = audit(samples, store, allow_unreviewed)
    extra = dict(kwargs.pop("extra_manifest", None) or {})
    extra["audit"] = outcome.summary
    card = outcome.card
    if outcome.failures:
        if not accept_failures:
            listed = "\n".join(f"  {f['gate']}: {f['text']}" for f in outcome.failures)
            raise AuditGateError(
                f"{len(outcome.failures)} audit gate(s) failed:\n{listed}\n",
                where=str(store.path),
                hint='fix the samples, or release anyway with --accept-audit-failures "REASON"',
            )
        extra["audit_override"] = {"reason": accept_failures, "failed": outcome.failures}
        card = "\n".join(["## Audit override", "", *override_lines(extra), "", card])
    return release_from_store(
        store, out_dir, name, version, check, extra_manifest=extra, card_extra=card, **kwargs
    )
