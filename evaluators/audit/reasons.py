"""What review found: reject and edit rates per task, builder family and reason, from a store.

API:
  REJECT_FLAG                      default threshold above which a family's reject rate is named
  family_of(sample) -> str         "<task>/<meta family or kind>" (the builder family)
  review_rates(samples, states, flag_above=REJECT_FLAG) -> dict
    {"settled": int, "flag_above": float,
     "by_task":   {task:   {"settled", "rejected": figure, "edited": figure}},
     "by_family": {family: {"settled", "rejected": figure, "edited": figure}},
     "by_reason": {code: {"label", "samples": figure, "rejects": int, "edits": int}},
     "flagged_families": [{"family", "rejected": figure, "certain": bool}]}
  rates_lines(rates) -> list[str]  the printed form

A figure is ``evaluators.audit.stats.proportion`` (value, k, n, Wilson 95% interval) over the
*settled* samples (accepted or rejected under the store's rule): ``rejected`` is the share
rejected, ``edited`` the share accepted with edits, a reason's ``samples`` the share whose live
rejects or edits record that reason (perbench.needs codes; legacy plain text counts as
``other``). A family is flagged when its reject rate is above ``flag_above``; ``certain`` when
even its interval's lower bound is. Only a store has the log; a release has accepted samples
only, so it has no such rates.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from evaluators.audit.stats import proportion, share_text
from perbench.needs import REASON_CODES
from perbench.review_log import SampleState
from perbench.schema import Sample

REJECT_FLAG = 0.25
SETTLED = ("accepted", "rejected")


def family_of(sample: Sample) -> str:
    family = sample.meta.get("family") or sample.meta.get("kind") or "all"
    return f"{sample.task}/{family}"


def _rates(outcomes: list[tuple[bool, bool]]) -> dict[str, Any]:
    n = len(outcomes)
    return {
        "settled": n,
        "rejected": proportion(sum(r for r, _ in outcomes), n),
        "edited": proportion(sum(e for _, e in outcomes), n),
    }


def review_rates(
    samples: Iterable[Sample], states: dict[str, SampleState], flag_above: float = REJECT_FLAG
) -> dict[str, Any]:
    by_task: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    by_family: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    with_reason: Counter[str] = Counter()
    rejects: Counter[str] = Counter()
    edits: Counter[str] = Counter()
    settled = 0
    for sample in samples:
        state = states[sample.id]
        if state.status not in SETTLED:
            continue
        settled += 1
        rejected = state.status == "rejected"
        outcome = (rejected, not rejected and bool(state.edits))
        by_task[sample.task].append(outcome)
        by_family[family_of(sample)].append(outcome)
        codes = {reason["code"] for reason in state.reasons}
        with_reason.update(codes)
        (rejects if rejected else edits).update(codes)
    families = {family: _rates(outcomes) for family, outcomes in sorted(by_family.items())}
    flagged = [
        {
            "family": family,
            "rejected": rates["rejected"],
            "certain": rates["rejected"]["ci95"][0] > flag_above,
        }
        for family, rates in families.items()
        if rates["rejected"]["value"] is not None and rates["rejected"]["value"] > flag_above
    ]
    return {
        "settled": settled,
        "flag_above": flag_above,
        "by_task": {task: _rates(outcomes) for task, outcomes in sorted(by_task.items())},
        "by_family": families,
        "by_reason": {
            code: {
                "label": REASON_CODES[code],
                "samples": proportion(with_reason[code], settled),
                "rejects": rejects[code],
                "edits": edits[code],
            }
            for code in REASON_CODES
            if with_reason[code]
        },
        "flagged_families": flagged,
    }


def rates_lines(rates: dict[str, Any]) -> list[str]:
    lines = [f"review outcomes of {rates['settled']} settled samples (rejected; edited):"]
    for scope in ("by_task", "by_family"):
        for name, row in rates[scope].items():
            lines.append(f"  {name}: {share_text(row['rejected'])}; {share_text(row['edited'])}")
    for code, row in rates["by_reason"].items():
        lines.append(
            f"  reason {code}: {share_text(row['samples'])} "
            f"({row['rejects']} rejects, {row['edits']} edits)"
        )
    for flag in rates["flagged_families"]:
        sure = "" if flag["certain"] else " (interval reaches below it)"
        lines.append(
            f"FLAG family {flag['family']}: reject rate {share_text(flag['rejected'])} above "
            f"{rates['flag_above']:.2f}{sure}"
        )
    return lines
