"""Partial results are input from others: their metric states must be what a scorer can produce.

API:
  check_partial(partial, path, metrics)   PerBenchError naming the file, the task and the first
                                          impossible figure; ``metrics`` are fresh Metric objects
                                          of the partial's protocol (their ``initial_state``
                                          gives each state's layout)
  check_merged(metrics, paths)            after the sum: the per-sample maps of the shards are
                                          disjoint (no sample scored twice)

A state must have its metric's exact layout (keys, lengths, int or exact-fraction leaves, never
negative), count exactly the samples its shard holds (shard ``i`` of ``n`` scores the positions
``p`` with ``p % n == i`` in release order), and keep every sum within what that many samples can
reach (right answers at most the answers, an intersection at most its union, a sum of IoUs or
METEOR scores at most the count). A forged state that stays inside these bounds is only caught by
scoring again; one that writes an accuracy of 39.2 is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

from evaluators.metric import Metric
from evaluators.scoring import COUNTS
from perbench.errors import PerBenchError

Check = Callable[[dict[str, Any], int], str | None]
# per-sample maps: their keys are sample ids, their values of a fixed kind
OPEN_MAPS = {
    "texts": (list, str, 2),
    "lines": (str, None, None),
    "groups": (list, int, 2),
    "unscored": (int, None, None),  # strict METEOR: samples scored as an empty answer
}


def _layout(value: Any, model: Any, where: str) -> str | None:
    if isinstance(model, dict):
        if not isinstance(value, dict):
            return f"{where} must be an object"
        if not model and where.rsplit(".", 1)[-1] in OPEN_MAPS:
            return _open_map(value, where)
        if set(value) != set(model):
            return f"{where} has keys {sorted(value)}, not {sorted(model)}"
        for key in model:
            problem = _layout(value[key], model[key], f"{where}.{key}")
            if problem:
                return problem
        return None
    if isinstance(model, list):
        if not isinstance(value, list) or len(value) != len(model):
            return f"{where} must be a list of {len(model)}"
        return next((p for i, v in enumerate(value) if (p := _layout(v, 0, f"{where}[{i}]"))), None)
    wanted = Fraction if isinstance(model, Fraction) else int
    if isinstance(value, bool) or not isinstance(value, wanted) or value < 0:
        return f"{where} must be a non-negative {'fraction' if wanted is Fraction else 'count'}"
    return None


def _open_map(value: dict[str, Any], where: str) -> str | None:
    kind, inner, size = OPEN_MAPS[where.rsplit(".", 1)[-1]]
    for key, entry in value.items():
        if not isinstance(entry, kind) or (size is not None and len(entry) != size):
            return f"{where}[{key!r}] is not what the scorer writes"
        if inner is not None and any(
            isinstance(v, bool) or not isinstance(v, inner) or (inner is int and v < 0)
            for v in entry
        ):
            return f"{where}[{key!r}] is not what the scorer writes"
    return None


def _at_most(state: dict[str, Any], pairs: list[tuple[str, Any]]) -> str | None:
    for smaller, bound in pairs:
        limit = state[bound] if isinstance(bound, str) else bound
        if state[smaller] > limit:
            return f"{smaller} = {state[smaller]} exceeds {bound} = {limit}"
    return None


def _groups(state: dict[str, Any]) -> str | None:
    seen = sum(entry[0] for entry in state["groups"].values())
    if seen > state["count"] or any(h > s for s, h in state["groups"].values()):
        return "circular groups hold more answers, or more right answers, than were scored"
    return None


CHECKS: dict[str, Check] = {
    "meteor_nltk": lambda s, n: (
        _at_most(s, [("meteor_sum", "count"), ("bleu_sum", "count")])
        or (None if len(s["texts"]) == s["count"] else "texts and count disagree")
    ),
    "meteor_1.5": lambda s, n: (
        _at_most(s, [("score_sum", "count")])
        or (None if len(s["lines"]) == s["count"] else "lines and count disagree")
    ),
    "mcq_substring": lambda s, n: _at_most(s, [("hits", "count")]),
    "mcq_extracted": lambda s, n: (
        _at_most(s, [("hits", "count"), ("invalid", "count")]) or _groups(s)
    ),
    "vtres_first_mask": lambda s, n: (
        _at_most(s, [("intersection", "union"), ("pair_iou_sum", "target_masks"), ("no_target", n)])
        or (None if s["skipped"] + s["no_target"] <= n else "skipped samples exceed the shard's")
    ),
    "vtres_union": lambda s, n: (
        _at_most(
            s,
            [
                ("intersection", "union"),
                ("iou_sum", "count"),
                ("no_target_empty", "no_target"),
                ("target_nonempty", "target"),
            ],
        )
        or (None if s["target"] + s["no_target"] == s["count"] else "target counts disagree")
        or (None if all(h <= s["count"] for h in s["precision_hits"]) else "precision hits > count")
    ),
}
COUNTED = {"meteor_nltk", "meteor_1.5", "mcq_substring", "mcq_extracted", "vtres_union"}


def _shard_sizes(tasks: list[str], released: dict[str, int], shard: list[int]) -> dict[str, int]:
    """How many samples of each task shard ``i`` of ``n`` scores (positions ``p % n == i``)."""
    index, count = shard
    sizes, start = {}, 0
    for task in tasks:
        end = start + released[task]
        first = start + (index - start) % count
        sizes[task] = max(0, -(-(end - first) // count))
        start = end
    return sizes


def check_partial(partial: dict[str, Any], path: Path, metrics: dict[str, Metric]) -> None:
    def refuse(message: str) -> None:
        raise PerBenchError(
            message, where=str(path), hint="score that shard again with `perbench evaluate`"
        )

    released = partial["benchmark"].get("counts") or {}
    if not all(isinstance(released.get(t), int) for t in metrics):
        refuse("benchmark.counts must give the release's sample count of every task scored")
    sizes = _shard_sizes(list(metrics), released, partial["shard"])
    for task, metric in metrics.items():
        counts = partial["counts"].get(task) if isinstance(partial["counts"], dict) else None
        state = partial["states"].get(task) if isinstance(partial["states"], dict) else None
        # partial files written before the not_json count lack it
        names = COUNTS if isinstance(counts, dict) and "not_json" in counts else COUNTS[:3]
        problem = _layout(counts, dict.fromkeys(names, 0), f"counts.{task}")
        if problem:
            refuse(problem)
        if counts.get("not_json", 0) > counts["scored"]:
            refuse(f"counts.{task}.not_json exceeds the samples scored")
        if counts["expected"] != sizes[task] or counts["scored"] + counts["missing"] != sizes[task]:
            refuse(f"counts.{task} do not add up to the {sizes[task]} samples this shard holds")
        problem = _layout(state, metric.initial_state(), f"states.{task}")
        if problem:
            refuse(problem)
        if metric.name in COUNTED and state["count"] != sizes[task]:
            refuse(f"states.{task}.count = {state['count']}, but the shard holds {sizes[task]}")
        problem = CHECKS[metric.name](state, sizes[task])
        if problem:
            refuse(f"states.{task}: {problem}: no scorer writes that")


def check_merged(metrics: dict[str, Metric], paths: list[Path]) -> None:
    """Per-sample maps of the summed states must have one entry per sample (disjoint shards)."""
    for task, metric in metrics.items():
        for name in ("texts", "lines"):
            entries = metric.state.get(name)
            if entries is not None and len(entries) != metric.state["count"]:
                raise PerBenchError(
                    f"the shards' {task} states score one sample twice",
                    where=", ".join(map(str, paths)),
                    hint="merge the partial files of one evaluation, each shard once",
                )
