"""Build a candidate store from source readers: sharded, resumable, on one or many processes.

API:
  build_store(readers, store_path, *, seed=0, config=None, num_proc=1, progress=True,
              engine="local") -> summary dict
  ENGINES          name -> runner(jobs, store, config, seed, num_proc, progress)
                   local: in this process (num_proc 1) or datasets.map(num_proc=N) on one machine
                   ray:   Ray Data on a cluster (or local mode); the driver writes the store
  summarize(stats) counts per task, per category and skip reason, summed over shards

Each shard's candidates are written as they come and the shard is then marked finished
(``store.finish_shard``); a rerun skips finished shards, so an interrupted build resumes.
A store remembers its seed and config; building into it with others is a BuildError.
Summary: {"images", "tasks", "categories", "skipped", "vt_res_kinds", "vt_res_rates",
"completeness", "shards": {"total", "built", "resumed"}}; ``vt_res_rates`` are the drawn shares of
no-target and multi-target texts, beside the configured ``no_target_rate`` and
``multi_target_rate``; ``completeness`` says which sources were declared exhaustive and by whom
(builders.completeness.declarations). The store's info keeps it (``completeness``) and the whole
summary (``build_summary``); a release copies the first into its manifest and card.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from builders.completeness import declarations
from builders.config import BUILDER_NAME, BUILDER_VERSION, BuildConfig, BuildError
from builders.shard import draft_shard, drafter_for, shard_key
from perbench.errors import DependencyError
from perbench.schema import Sample
from perbench.sources import SourceReader
from perbench.store import CandidateStore

Job = tuple[SourceReader, str]


def _write_shard(
    store: CandidateStore, reader: SourceReader, shard: str, config: BuildConfig, seed: int
) -> dict:
    key = shard_key(reader, shard)
    for item in draft_shard(reader, shard, config, seed):
        if isinstance(item, dict):
            store.finish_shard(key, item)
            return item
        store.add_candidates(item, shard=key)
    raise BuildError(f"shard {key} ended without its stats")


def _run_local(
    jobs: list[Job],
    store: CandidateStore,
    config: BuildConfig,
    seed: int,
    num_proc: int,
    progress: bool,
) -> None:
    if num_proc <= 1:
        bar = tqdm(jobs, desc="building shards", unit="shard", disable=not progress)
        total = 0
        for reader, shard in bar:
            stats = _write_shard(store, reader, shard, config, seed)
            total += sum(stats["tasks"].values())
            bar.set_postfix(candidates=total)
        return
    from datasets import Dataset, disable_progress_bars, enable_progress_bars

    path = str(store.path)
    store.close()  # a SQLite connection must not cross fork(); workers open their own

    def build_one(row: dict[str, Any]) -> dict[str, Any]:
        reader, shard = jobs[row["job"]]
        worker_store = CandidateStore(path)
        try:
            stats = _write_shard(worker_store, reader, shard, config, seed)
        finally:
            worker_store.close()
        return {"stats": json.dumps(stats)}

    if not progress:
        disable_progress_bars()
    try:
        Dataset.from_dict({"job": list(range(len(jobs)))}).map(
            build_one,
            num_proc=min(num_proc, len(jobs)),
            desc="building shards",
            new_fingerprint="perbench-build",
        )
    finally:
        if not progress:
            enable_progress_bars()


def _run_ray(
    jobs: list[Job],
    store: CandidateStore,
    config: BuildConfig,
    seed: int,
    num_proc: int,
    progress: bool,
) -> None:
    try:
        import ray
    except ImportError:
        raise DependencyError(
            "--engine ray needs Ray Data", hint="pip install 'perbench[ray]'"
        ) from None
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(num_cpus=max(num_proc, 1), include_dashboard=False, log_to_driver=False)
    try:
        _drain_ray(ray, jobs, store, config, seed, progress)
    finally:
        if started_here:
            ray.shutdown()


def _drain_ray(
    ray, jobs: list[Job], store: CandidateStore, config: BuildConfig, seed: int, progress: bool
) -> None:

    def draft_rows(row: dict[str, Any]) -> list[dict[str, Any]]:
        reader, shard = jobs[row["job"]]
        rows = []
        for item in draft_shard(reader, shard, config, seed):
            if isinstance(item, dict):
                rows.append(
                    {
                        "shard": shard_key(reader, shard),
                        "kind": "stats",
                        "payload": json.dumps({**item, "chunks": len(rows)}),
                    }
                )
            else:
                images = {s.image_id: s.image for s in item}
                payload = {
                    "samples": [s.to_dict() for s in item],
                    "images": {k: v.hex() for k, v in images.items()},
                }
                rows.append(
                    {
                        "shard": shard_key(reader, shard),
                        "kind": "samples",
                        "payload": json.dumps(payload),
                    }
                )
        return rows

    dataset = ray.data.from_items([{"job": i} for i in range(len(jobs))]).flat_map(draft_rows)
    written: Counter[str] = Counter()
    pending_stats: dict[str, dict[str, Any]] = {}
    bar = tqdm(total=len(jobs), desc="building shards (ray)", unit="shard", disable=not progress)
    for row in dataset.iter_rows():
        payload = json.loads(row["payload"])
        if row["kind"] == "samples":
            images = {k: bytes.fromhex(v) for k, v in payload["images"].items()}
            samples = [
                Sample.from_dict({**d, "image": images[d["image_id"]]}) for d in payload["samples"]
            ]
            store.add_candidates(samples, shard=row["shard"])
            written[row["shard"]] += 1
        else:
            pending_stats[row["shard"]] = payload
        for key in [k for k, s in pending_stats.items() if written[k] == s["chunks"]]:
            stats = pending_stats.pop(key)
            stats.pop("chunks")
            store.finish_shard(key, stats)
            bar.update(1)
    bar.close()


ENGINES: dict[str, Callable[..., None]] = {"local": _run_local, "ray": _run_ray}


def summarize(stats: list[dict[str, Any]]) -> dict[str, Any]:
    totals: dict[str, Any] = {
        "images": 0,
        "tasks": Counter(),
        "categories": Counter(),
        "skipped": Counter(),
        "vt_res_kinds": Counter(),
    }
    for entry in stats:
        totals["images"] += entry.get("images", 0)
        for name in ("tasks", "categories", "skipped", "vt_res_kinds"):
            totals[name].update(entry.get(name, {}))
    kinds = totals["vt_res_kinds"]
    drawn = sum(kinds.values())
    totals["vt_res_rates"] = {
        kind: round(kinds[kind] / drawn, 4) if drawn else 0.0 for kind in ("none", "multi")
    }
    return {k: dict(sorted(v.items())) if isinstance(v, Counter) else v for k, v in totals.items()}


def _check_same_build(store: CandidateStore, seed: int, config: BuildConfig) -> None:
    info = store.info()
    if "build_config" not in info:
        return
    if info.get("build_seed") != seed or info["build_config"] != config.to_dict():
        changed = sorted(k for k, v in config.to_dict().items() if info["build_config"].get(k) != v)
        raise BuildError(
            f"this store was built with other settings (seed {info.get('build_seed')}, "
            f"changed: {changed or 'seed'})",
            where=str(store.path),
            hint="use a new --out to build with new settings, or the same settings to resume",
        )


def build_store(
    readers: list[SourceReader],
    store_path: str | Path,
    *,
    seed: int = 0,
    config: BuildConfig | dict[str, Any] | None = None,
    num_proc: int = 1,
    progress: bool = True,
    engine: str = "local",
) -> dict[str, Any]:
    """Draft candidates of every reader's shards into the store at ``store_path`` (module doc)."""
    config = config if isinstance(config, BuildConfig) else BuildConfig.from_dict(config or {})
    if engine not in ENGINES:
        raise BuildError(f"unknown engine {engine!r}; choose from {sorted(ENGINES)}")
    for reader in readers:
        if hasattr(reader, "skip_errors"):
            reader.skip_errors = config.skip_errors
    completeness = declarations(config, readers)
    store = CandidateStore(store_path, create=True)
    _check_same_build(store, seed, config)
    builders = {BUILDER_NAME: BUILDER_VERSION}
    if "description" in config.tasks:
        drafter = drafter_for(config.drafter)
        builders[f"drafter:{drafter.name}"] = drafter.version
    jobs = [(reader, shard) for reader in readers for shard in reader.shards()]
    keys = [shard_key(r, s) for r, s in jobs]
    if len(set(keys)) != len(keys):
        raise BuildError("two sources give the same shard names; give each source once")
    store.set_info(
        builders=builders,
        build_seed=seed,
        build_config=config.to_dict(),
        sources=sorted({r.name for r in readers}),
        completeness=completeness,
    )
    pending = [job for job, key in zip(jobs, keys, strict=True) if not store.shard_finished(key)]
    if pending:
        ENGINES[engine](pending, store, config, seed, num_proc, progress)
    store = CandidateStore(store_path)
    all_stats = store.shard_stats()
    summary = summarize([all_stats[k] for k in keys if k in all_stats])
    summary["shards"] = {
        "total": len(jobs),
        "built": len(pending),
        "resumed": len(jobs) - len(pending),
    }
    summary["completeness"] = completeness
    store.set_info(build_summary=summary)
    store.close()
    return summary
