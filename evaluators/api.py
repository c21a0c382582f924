"""Score a predictions file: the one call model authors and the CLI use.

API:
  evaluate(release, predictions_path, model, revision=None, protocol="strict", out_dir=None,
           allow_missing=False, tasks=None, shard=None, verify=True, progress=True,
           recipe=None, key=None, on_progress=None) -> dict
      the results document; written to ``out_dir`` when given. With ``shard=(i, n)`` and
      n > 1 it scores one shard and writes a partial file instead (``out_dir`` required).
  merge_partials(paths, out_dir=None) -> dict     combine all n partial files into the results
                                                  a single run gives (metrics identical)

``release`` is a ``perbench.release.Release`` or its folder. ``tasks`` limits scoring to some
tasks (the baselines use it); ``overall`` needs all three.
"""

from __future__ import annotations

import heapq
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evaluators.contamination import mark_shared_images
from evaluators.leaderboard_audit import release_audit
from evaluators.merge_checks import check_merged, check_partial
from evaluators.metric import state_from_json, state_to_json
from evaluators.protocols import PROTOCOLS, make_metrics
from evaluators.results import (
    SAMPLES_SUFFIX,
    build_results,
    results_stem,
    write_results,
)
from evaluators.scoring import COUNTS, check_shard, score_shard, shard_ids
from evaluators.submission import expected_from_release, index_submission
from perbench.errors import PerBenchError, ReleaseError
from perbench.jsonfile import read_json, write_text_atomic
from perbench.outputs import file_beside, output_folder
from perbench.release import Release
from perbench.schema import TASKS
from perbench.verified import open_verified
from perbench.withheld import KeyedRelease

PARTIAL_KIND = "perbench-partial-results"
PARTIAL_SUFFIX = ".partial.json"
PARTIAL_FIELDS = (
    "shard",
    "benchmark",
    "protocol",
    "model",
    "revision",
    "predictions",
    "tasks",
    "counts",
    "states",
    "samples_file",
)


def open_release(
    release: Release | str | Path,
    verify: bool,
    key: dict[str, Any] | str | Path | None = None,
    fingerprint: str | None = None,
    public_key: str | Path | None = None,
) -> Release:
    """The release to score, verified (plus ``fingerprint`` and the signature by
    ``public_key`` when given); a withheld release is scored only with its answer key."""
    if key is not None and not isinstance(release, KeyedRelease):
        path = release.path if isinstance(release, Release) else release
        release = KeyedRelease(path, key)
    release = release if isinstance(release, Release) else Release(release)
    if release.manifest.get("withheld") and not isinstance(release, KeyedRelease):
        raise ReleaseError(
            "this release withholds its answers; it is scored with its private answer key",
            where=str(release.path),
            hint="submit to its submission server, or (maintainers) perbench evaluate --key KEY",
        )
    return open_verified(release, fingerprint, public_key) if verify else release


def _benchmark(release: Release) -> dict[str, Any]:
    return {
        "name": release.name,
        "version": release.version,
        "fingerprint": release.fingerprint,
        "counts": {task: release.count(task) for task in release.tasks},
        # the release's validity audit, so every result and leaderboard row shows it
        "audit": release_audit(release.manifest),
    }


def evaluate(
    release: Release | str | Path,
    predictions_path: str | Path,
    model: str,
    revision: str | None = None,
    protocol: str = "strict",
    out_dir: str | Path | None = None,
    allow_missing: bool = False,
    tasks: list[str] | None = None,
    shard: tuple[int, int] | None = None,
    verify: bool = True,
    progress: bool = True,
    recipe: dict[str, Any] | None = None,
    key: dict[str, Any] | str | Path | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    fingerprint: str | None = None,
    public_key: str | Path | None = None,
) -> dict[str, Any]:
    """Score ``predictions_path`` against ``release``; ``recipe`` (how the model was trained)
    is kept in the results and summarised on the leaderboard, with the count of its training
    images that the release holds (evaluators.contamination). ``key``: the answer key of a
    withheld release (``perbench.withheld``). ``on_progress(done, total)`` is called as samples
    are scored. The release is verified first (plus ``fingerprint`` and the signature by
    ``public_key`` when given)."""
    if out_dir is not None:
        output_folder(out_dir)
    release = open_release(release, verify, key, fingerprint, public_key)
    recipe = mark_shared_images(recipe, release)
    tasks = list(dict.fromkeys(tasks or release.tasks))  # a task named twice is scored once
    unknown = [t for t in tasks if t not in release.tasks]
    if unknown:
        raise PerBenchError(f"the release has no samples of task(s) {unknown}")
    shard = shard or (0, 1)
    if shard[1] > 1 and out_dir is None:
        raise PerBenchError("a sharded evaluation needs an output folder for its partial file")
    positions = shard_ids(release, tasks, shard)
    expected = expected_from_release(release)
    index = index_submission(predictions_path, expected, set(positions), allow_missing)
    metrics = make_metrics(protocol, tasks)
    stem = results_stem(model, release.version, protocol, revision)
    work = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="perbench-"))
    records = work / f"{stem}.shard-{shard[0]}-of-{shard[1]}{SAMPLES_SUFFIX}"
    finished = False
    try:
        counts = score_shard(release, index, metrics, positions, records, progress, on_progress)
        common = {
            "benchmark": _benchmark(release),
            "protocol": protocol,
            "model": model,
            "revision": revision,
            "predictions": {"path": str(predictions_path), "sha256": index.sha256},
            "tasks": tasks,
            "recipe": recipe,
        }
        if shard[1] > 1:
            partial = {
                "kind": PARTIAL_KIND,
                "shard": list(shard),
                **common,
                "counts": counts,
                "states": {t: state_to_json(m.state) for t, m in metrics.items()},
                "samples_file": records.name,
            }
            path = work / f"{stem}.shard-{shard[0]}-of-{shard[1]}{PARTIAL_SUFFIX}"
            write_text_atomic(path, json.dumps(partial, indent=2, sort_keys=True) + "\n")
            finished = True
            return partial
        results = build_results(
            **common, counts=counts, metrics={t: m.result() for t, m in metrics.items()}
        )
        if out_dir is not None:
            write_results(results, out_dir, records)
        finished = True
        return results
    finally:
        for metric in metrics.values():
            metric.close()
        if out_dir is None or not finished:  # a failed run keeps no half-written rows
            records.unlink(missing_ok=True)
        if out_dir is None:
            work.rmdir()


def _read_partial(path: Path) -> dict[str, Any]:
    data = read_json(path, "partial results file")
    if not isinstance(data, dict) or data.get("kind") != PARTIAL_KIND:
        raise PerBenchError(
            "not a partial results file (write them with `perbench evaluate --shard i/n`)",
            where=str(path),
        )
    lacking = [key for key in PARTIAL_FIELDS if key not in data]
    if lacking:
        raise PerBenchError(
            f"partial results file lacks {', '.join(map(repr, lacking))}",
            where=str(path),
            hint="score that shard again with `perbench evaluate --shard i/n`",
        )
    _check_partial_fields(data, str(path))
    return data


def _check_partial_fields(data: dict[str, Any], where: str) -> None:
    """The shapes a merge relies on: shard, protocol, tasks, and a state and counts per task."""
    check_shard(data["shard"], f"{where}, 'shard'")
    if not isinstance(data["protocol"], str) or data["protocol"] not in PROTOCOLS:
        raise PerBenchError(f"'protocol' must be one of {sorted(PROTOCOLS)}", where=where)
    tasks = data["tasks"]
    if (
        not isinstance(tasks, list)
        or not tasks
        or not all(isinstance(t, str) for t in tasks)
        or len(set(tasks)) != len(tasks)
        or not set(tasks) <= set(TASKS)
    ):
        raise PerBenchError(f"'tasks' must list distinct tasks of {TASKS}", where=where)
    for key in ("states", "counts"):
        if not isinstance(data[key], dict) or not all(
            isinstance(data[key].get(t), dict) for t in tasks
        ):
            raise PerBenchError(f"'{key}' must hold an object for each of {tasks}", where=where)
    for task in tasks:
        counts = data["counts"][task]
        if not all(
            isinstance(counts.get(k), int)
            and not isinstance(counts.get(k), bool)
            and counts[k] >= 0
            for k in ("expected", "scored", "missing")
        ):
            raise PerBenchError(
                f"'counts' of {task} must give expected, scored and missing as counts", where=where
            )


def merge_partials(paths: list[str | Path], out_dir: str | Path | None = None) -> dict[str, Any]:
    """The single-run results from the partial files of every shard ``0..n-1``."""
    if out_dir is not None:
        output_folder(out_dir)
    partials = [(Path(p), _read_partial(Path(p))) for p in paths]
    if not partials:
        raise PerBenchError("--merge needs the partial files of every shard")
    first_path, first = partials[0]
    same = ("benchmark", "protocol", "model", "revision", "predictions", "tasks")
    for path, partial in partials[1:]:
        for key in same:
            if partial[key] != first[key]:
                raise PerBenchError(
                    f"'{key}' differs from {first_path.name}'s; all shards must score the same "
                    "release, predictions, model and protocol",
                    where=str(path),
                )
    count = first["shard"][1]
    found = sorted(p["shard"][0] for _, p in partials)
    if found != list(range(count)) or any(p["shard"][1] != count for _, p in partials):
        raise PerBenchError(
            f"need each shard 0..{count - 1} of {count} exactly once, got shards {found}"
        )
    for path, partial in partials:
        samples_file = file_beside(path.parent, partial["samples_file"], f"{path}: samples_file")
        if not samples_file.is_file() or samples_file.is_symlink():
            raise PerBenchError(
                f"its per-sample file {partial['samples_file']} is missing beside it",
                where=str(path),
            )
    metrics = make_metrics(first["protocol"], first["tasks"])
    counts = {t: dict.fromkeys(COUNTS, 0) for t in first["tasks"]}
    try:
        for path, partial in partials:
            states = partial["states"]
            if isinstance(states, dict):
                partial = {**partial, "states": {t: state_from_json(v) for t, v in states.items()}}
            check_partial(partial, path, metrics)
            for task, metric in metrics.items():
                metric.merge(partial["states"][task])
                for key in counts[task]:  # partial files from before not_json lack it
                    counts[task][key] += partial["counts"][task].get(key, 0)
        check_merged(metrics, [path for path, _ in partials])
        results = build_results(
            benchmark=first["benchmark"],
            protocol=first["protocol"],
            model=first["model"],
            revision=first["revision"],
            predictions=first["predictions"],
            tasks=first["tasks"],
            recipe=first.get("recipe"),
            counts=counts,
            metrics={t: m.result() for t, m in metrics.items()},
        )
    finally:
        for metric in metrics.values():
            metric.close()
    if out_dir is not None:
        merged = Path(out_dir) / f".merging{SAMPLES_SUFFIX}"
        merged.parent.mkdir(parents=True, exist_ok=True)
        try:
            _merge_rows([path.parent / p["samples_file"] for path, p in partials], merged)
            write_results(results, out_dir, merged)
        finally:
            merged.unlink(missing_ok=True)  # moved into place, or half-written and dropped
    return results


def _merge_rows(files: list[Path], out: Path) -> None:
    """Interleave the shards' per-sample rows back into release order (streamed)."""
    handles = [open(f, encoding="utf-8") for f in files]
    try:
        rows = heapq.merge(*handles, key=lambda line: json.loads(line)["position"])
        with open(out, "w", encoding="utf-8") as target:
            target.writelines(rows)
    finally:
        for handle in handles:
            handle.close()
