"""Measured residual error: a second reviewer re-checks a random, seeded sample of accepted items,
blind to who accepted them, and the error rate found goes, with its interval, on the release card.

API:
  DEFAULT_WIDTH, DEFAULT_EXPECTED    interval width aimed at, error rate assumed when sizing
  SpotPlan(task, seed, width, expected, eligible, size, ids)
  plan(store, task, reviewer, seed=0, width=DEFAULT_WIDTH, expected=DEFAULT_EXPECTED) -> SpotPlan
  record_verdict(store, sample_id, reviewer, correct, reasons=None) -> Decision
  estimates(store, log=None) -> {task: Estimate}   tasks with at least one verdict (``log``:
                                                the store's decisions, when already read)
  Estimate(task, errors, n)  .value .ci95 .text() .to_dict()
  card_lines(estimates, tasks) -> {task: str}   "estimated error after review: 1.4% [0.6, 3.1]
                                                (n=300)", or "...: not measured"

A plan takes the task's accepted samples that ``reviewer`` did not accept, shuffles them with
``random.Random(f"{seed}:{task}")`` and keeps the first n, the smallest n whose Wilson interval
is at most ``width`` wide if the error rate is ``expected`` (capped by how many are eligible).
The same store, task, reviewer and seed give the same sample. A verdict is a ``spot_ok`` or
``spot_error`` decision (structured reasons required for an error): appended to the log and
hash-chained like every decision, bound to the accepted version it judged, and it never changes a
sample's status (an error found is settled through the normal review). The estimate counts each
sample once, by its latest live verdict.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from perbench.errors import StoreError
from perbench.review_log import SPOT_VERDICTS, Decision, payload_version
from perbench.schema import TASKS
from perbench.stats import proportion, sample_size_for_width

DEFAULT_WIDTH = 0.05
DEFAULT_EXPECTED = 0.05
CARD_PREFIX = "estimated error after review: "


@dataclass(frozen=True)
class SpotPlan:
    task: str
    seed: int
    width: float
    expected: float
    eligible: int
    size: int
    ids: list[str]


def plan(
    store: Any,
    task: str,
    reviewer: str,
    seed: int = 0,
    width: float = DEFAULT_WIDTH,
    expected: float = DEFAULT_EXPECTED,
) -> SpotPlan:
    """The seeded spot-check sample of ``task`` for ``reviewer`` (see the module docstring)."""
    if task not in TASKS:
        raise StoreError(f"unknown task {task!r}; use one of {TASKS}", where=str(store.path))
    if not 0 < width < 1 or not 0 < expected < 1:
        raise StoreError(
            f"the spot check needs 0 < width < 1 and 0 < expected error < 1, got {width} and "
            f"{expected}",
            where=str(store.path),
        )
    states = store.states(task)
    eligible = sorted(
        sample_id
        for sample_id, state in states.items()
        if state.status == "accepted" and reviewer not in state.accepted_by
    )
    random.Random(f"{seed}:{task}").shuffle(eligible)
    size = sample_size_for_width(width, expected, population=len(eligible)) if eligible else 0
    return SpotPlan(task, seed, width, expected, len(eligible), size, eligible[:size])


def record_verdict(
    store: Any,
    sample_id: str,
    reviewer: str,
    correct: bool,
    reasons: list[dict[str, Any]] | None = None,
) -> Decision:
    """Log ``reviewer``'s spot-check verdict on an accepted sample they did not accept."""
    state = store.state(sample_id)
    if state.status != "accepted":
        raise StoreError(
            f"sample {sample_id} is {state.status}, not accepted: only accepted samples are "
            "spot-checked",
            where=str(store.path),
        )
    if reviewer in state.accepted_by:
        raise StoreError(
            f"{reviewer} accepted sample {sample_id}; a spot check needs a second reviewer",
            where=str(store.path),
        )
    if not correct and not reasons:
        raise StoreError(
            f"a spot-check error on sample {sample_id} needs a reason saying what is wrong",
            where=str(store.path),
        )
    final = store.final_sample(store.candidate(sample_id, with_image=False), state)
    return store.record(
        sample_id,
        reviewer,
        "spot_ok" if correct else "spot_error",
        reasons=None if correct else reasons,
        version=payload_version(final.to_dict()),
    )


@dataclass(frozen=True)
class Estimate:
    task: str
    errors: int
    n: int

    @property
    def value(self) -> float:
        return self.errors / self.n

    @property
    def ci95(self) -> list[float]:
        return proportion(self.errors, self.n)["ci95"]

    def text(self) -> str:
        low, high = self.ci95
        return f"{self.value:.1%} [{100 * low:.1f}, {100 * high:.1f}] (n={self.n})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "errors": self.errors,
            "n": self.n,
            "value": self.value,
            "ci95": self.ci95,
            "text": CARD_PREFIX + self.text(),
        }


def estimates(store: Any, log: list[Decision] | None = None) -> dict[str, Estimate]:
    """Per task, the errors among spot-checked samples (latest live verdict of each sample)."""
    log = store.decisions() if log is None else log
    undone = {d.undoes for d in log if d.decision == "undo"}
    latest: dict[str, Decision] = {}
    for entry in log:
        if entry.decision in SPOT_VERDICTS and entry.seq not in undone:
            latest[entry.sample_id] = entry
    tasks = {sample_id: task for task in TASKS for sample_id in store.candidate_ids(task)}
    found: dict[str, list[bool]] = {}
    for sample_id, entry in latest.items():
        found.setdefault(tasks[sample_id], []).append(entry.decision == "spot_error")
    return {
        task: Estimate(task, sum(verdicts), len(verdicts))
        for task, verdicts in sorted(found.items())
    }


def card_lines(found: dict[str, Estimate], tasks: list[str]) -> dict[str, str]:
    """What the card says for each released task."""
    return {
        task: CARD_PREFIX + (found[task].text() if task in found else "not measured")
        for task in tasks
    }
