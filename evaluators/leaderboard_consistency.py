"""A results file must agree with itself: headline with metrics, metrics with counts.

API:
  consistency_problem(result) -> str | None     the first disagreement, in words (None: none)

Checked (what ``perbench evaluate`` always writes, so only an edited file can fail):
- ``metrics`` is an object of per-task objects over the same tasks as ``counts.per_task``, and
  the headline recomputed from ``metrics`` (``evaluators.protocols.headline``) equals the one
  stated, column by column;
- per task, ``expected``, ``scored`` and ``missing`` are counts with expected = scored + missing,
  equal to the release's sample count in ``benchmark.counts``, and the totals are their sums;
- the MCQ accuracy is a whole number of right answers out of ``expected`` (the scorer counts a
  missing answer as wrong), and the stated invalid answers equal ``counts.invalid``;
- a task scored on no sample has no figure.
"""

from __future__ import annotations

import math
from typing import Any

from evaluators.protocols import HEADLINE_COLUMNS, headline

SAME = 1e-9
WHOLE = 1e-6
COUNT_KEYS = ("expected", "scored", "missing")
TASK_FIGURES = {"description": ("meteor",), "mcq": ("accuracy",), "vt_res": ("ciou", "giou")}


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _same(stated: Any, recomputed: Any) -> bool:
    if stated is None or recomputed is None:
        return stated is None and recomputed is None
    numbers = all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in (stated, recomputed)
    )
    return numbers and math.isfinite(recomputed) and abs(stated - recomputed) <= SAME


def consistency_problem(result: dict[str, Any]) -> str | None:
    metrics, counts = result.get("metrics"), result.get("counts")
    if not isinstance(metrics, dict) or not all(isinstance(m, dict) for m in metrics.values()):
        return "'metrics' must be an object of per-task metric objects"
    if not set(metrics) <= set(TASK_FIGURES):
        return f"'metrics' names unknown tasks {sorted(set(metrics) - set(TASK_FIGURES))}"
    recomputed = headline(metrics)
    for column in HEADLINE_COLUMNS:
        if not _same(result["headline"].get(column), recomputed[column]):
            return (
                f"headline {column} = {result['headline'].get(column)} but its metrics give "
                f"{recomputed[column]}"
            )
    if not isinstance(counts, dict) or not isinstance(counts.get("per_task"), dict):
        return "'counts' must hold 'per_task' sample counts"
    per_task = counts["per_task"]
    if set(per_task) != set(metrics):
        return f"counts cover tasks {sorted(per_task)} but metrics {sorted(metrics)}"
    released = result["benchmark"].get("counts")
    for task, task_counts in per_task.items():
        problem = _task_problem(task, task_counts, metrics[task], released)
        if problem:
            return problem
    for key in COUNT_KEYS:
        total = sum(c[key] for c in per_task.values())
        if counts.get(key) != total:
            return f"counts.{key} = {counts.get(key)} but the tasks' counts add up to {total}"
    invalid = metrics.get("mcq", {}).get("invalid")
    if counts.get("invalid") != invalid:
        return f"counts.invalid = {counts.get('invalid')} but the MCQ metrics say {invalid}"
    return None


def _task_problem(task: str, counts: Any, metrics: dict[str, Any], released: Any) -> str | None:
    if not isinstance(counts, dict) or not all(_count(counts.get(k)) for k in COUNT_KEYS):
        return f"counts of {task} must hold whole, non-negative {', '.join(COUNT_KEYS)}"
    expected = counts["expected"]
    if expected != counts["scored"] + counts["missing"]:
        return f"{task}: {expected} expected but {counts['scored']} scored + {counts['missing']}"
    if isinstance(released, dict) and task in released and released[task] != expected:
        return f"{task}: {expected} samples scored but the release has {released[task]}"
    if expected == 0 and any(metrics.get(f) is not None for f in TASK_FIGURES[task]):
        return f"{task}: a figure without a single scored sample"
    accuracy = metrics.get("accuracy") if task == "mcq" else None
    if isinstance(accuracy, (int, float)) and math.isfinite(accuracy):
        hits = accuracy * expected
        if abs(hits - round(hits)) > WHOLE:
            return f"mcq accuracy {accuracy} is no whole number of right answers out of {expected}"
    invalid = metrics.get("invalid") if task == "mcq" else None
    if invalid is not None and (not _count(invalid) or invalid > expected):
        return f"mcq: {invalid} invalid answers out of {expected} samples"
    return None
