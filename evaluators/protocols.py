"""The two scoring protocols: which metric class scores each task, and the overall score.

API:
  PROTOCOLS[protocol][task] -> Metric class     protocol in ("strict", "official")
  make_metrics(protocol, tasks) -> {task: Metric}
  overall(meteor, accuracy, ciou, giou) -> float     all four in [0, 1]; result in [0, 100]
  headline(metrics) -> {"meteor", "accuracy", "ciou", "giou", "overall"}  (Table 3 columns)

overall = mean(100*METEOR, 100*Acc, mean(100*cIoU, 100*gIoU)) (Pixel-SAIL, Table 3); it is
defined only when all three tasks were scored.
"""

from __future__ import annotations

from typing import Any

from evaluators.mask_metrics import OfficialVTRes, StrictVTRes
from evaluators.mcq_metrics import OfficialMCQ, StrictMCQ
from evaluators.metric import Metric
from evaluators.text_metrics import OfficialMeteor, StrictMeteor
from perbench.errors import PerBenchError

PROTOCOLS: dict[str, dict[str, type[Metric]]] = {
    "strict": {"description": StrictMeteor, "mcq": StrictMCQ, "vt_res": StrictVTRes},
    "official": {"description": OfficialMeteor, "mcq": OfficialMCQ, "vt_res": OfficialVTRes},
}
HEADLINE_COLUMNS = ("meteor", "accuracy", "ciou", "giou", "overall")


def make_metrics(protocol: str, tasks: list[str]) -> dict[str, Metric]:
    if protocol not in PROTOCOLS:
        raise PerBenchError(f"unknown protocol {protocol!r}; choose from {sorted(PROTOCOLS)}")
    return {task: PROTOCOLS[protocol][task]() for task in tasks}


def overall(meteor: float, accuracy: float, ciou: float, giou: float) -> float:
    return (100 * meteor + 100 * accuracy + (100 * ciou + 100 * giou) / 2) / 3


def headline(metrics: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    """The Table 3 numbers (fractions in [0, 1]; overall in [0, 100]) from per-task metrics."""
    row = {
        "meteor": metrics.get("description", {}).get("meteor"),
        "accuracy": metrics.get("mcq", {}).get("accuracy"),
        "ciou": metrics.get("vt_res", {}).get("ciou"),
        "giou": metrics.get("vt_res", {}).get("giou"),
    }
    values = list(row.values())
    row["overall"] = None if None in values else overall(*values)
    return row
