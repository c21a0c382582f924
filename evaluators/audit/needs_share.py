"""How many items carry reviewer checks (``meta["needs"]``, perbench.needs), per family.

API:
  family(sample) -> str     "description", "mcq/<question family>", "vt_res/<relation>"
  needs_audit(samples) -> {"overall": figure, "by_family": {family: figure},
                           "by_kind": {need kind: items carrying one}}

An item carries a need when the builders could not settle a claim from the annotations (an
unannotated object may exist, two annotations may be one object, the text may fit several
objects); the review app asks the reviewer. A high share means much review work per item.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from evaluators.audit.stats import proportion
from perbench.schema import Sample


def family(sample: Sample) -> str:
    if sample.task == "mcq":
        return f"mcq/{sample.meta.get('family') or 'unknown'}"
    if sample.task == "vt_res":
        relation = sample.meta.get("relation")
        name = relation.get("name") if isinstance(relation, dict) else relation
        return f"vt_res/{name or 'unknown'}"
    return sample.task


def needs_audit(samples: list[Sample]) -> dict[str, Any]:
    flags: dict[str, list[bool]] = defaultdict(list)
    kinds: Counter[str] = Counter()
    for sample in samples:
        needs = sample.meta.get("needs") or []
        flags[family(sample)].append(bool(needs))
        kinds.update({need.get("kind", "unknown") for need in needs if isinstance(need, dict)})
    every = [flag for values in flags.values() for flag in values]
    return {
        "overall": proportion(sum(every), len(every)),
        "by_family": {k: proportion(sum(v), len(v)) for k, v in sorted(flags.items())},
        "by_kind": dict(sorted(kinds.items())),
    }
