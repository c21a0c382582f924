"""Score one shard of a release against an indexed submission: metric states + per-sample rows.

API:
  parse_shard("i/n") -> (i, n)
  shard_ids(release, tasks, shard) -> {id: position}     the samples a shard scores
  score_shard(release, index, metrics, positions, records_path, progress, on_progress) -> counts
      {task: {name: n}} for the names in COUNTS

Shard ``i/n`` (0-based) scores the samples whose position in the release's order (task by task,
id order within a task) is ``i`` modulo ``n``. Each per-sample row carries that ``position`` so
shards' rows merge back into the single-run order. A V-T RES text answer that is not JSON
masks (``submission.NotMasks``) is scored as a missing prediction, counted in ``not_json``
(also in ``scored``: it was answered) and its row says why.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from evaluators.metric import Metric
from evaluators.submission import NotMasks, SubmissionIndex
from perbench.errors import PerBenchError

COUNTS = ("expected", "scored", "missing", "not_json")


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` with 0 <= i < n; a ``PerBenchError`` saying what to write otherwise."""
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise PerBenchError(f"--shard must look like 0/4, got {text!r}") from None
    if count < 1 or not 0 <= index < count:
        raise PerBenchError(f"--shard {text}: need 0 <= i < n (shards are numbered from 0)")
    return index, count


def shard_ids(release, tasks: list[str], shard: tuple[int, int]) -> dict[str, int]:
    index, count = shard
    positions: dict[str, int] = {}
    position = 0
    for task in tasks:
        for sample_id in release.ids(task):
            if position % count == index:
                positions[sample_id] = position
            position += 1
    return positions


def score_shard(
    release,
    index: SubmissionIndex,
    metrics: dict[str, Metric],
    positions: dict[str, int],
    records_path: Path,
    progress: bool = True,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, dict[str, int]]:
    """Feed each sample of the shard and its prediction to its task's metric; write the rows.
    ``on_progress(done, total)`` is called after each sample (a server shows it)."""
    done, total = 0, len(positions)
    counts = {task: dict.fromkeys(COUNTS, 0) for task in metrics}
    records_path.parent.mkdir(parents=True, exist_ok=True)
    with open(records_path, "w", encoding="utf-8") as out:
        for task, metric in metrics.items():
            wanted = sum(1 for sid, _ in positions.items() if index.expected[sid].task == task)
            bar = tqdm(total=wanted, desc=f"scoring {task}", unit="sample", disable=not progress)
            for sample in release.samples(task):
                if sample.id not in positions:
                    continue
                prediction = index.read(sample.id)
                missing = sample.id not in index.offsets
                not_json = prediction.reason if isinstance(prediction, NotMasks) else None
                record: dict[str, Any] = metric.update(sample, None if not_json else prediction)
                counts[task]["expected"] += 1
                counts[task]["missing" if missing else "scored"] += 1
                counts[task]["not_json"] += not_json is not None
                row = {"position": positions[sample.id], "id": sample.id, "task": task}
                row.update(record, missing=missing)
                if not_json:
                    row["not_json"] = not_json
                out.write(json.dumps(row, sort_keys=True) + "\n")
                bar.update()
                done += 1
                if on_progress is not None:
                    on_progress(done, total)
            bar.close()
    return counts
