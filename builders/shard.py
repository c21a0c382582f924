"""The per-shard function every engine runs: source images in, candidate samples out.

API:
  shard_key(reader, shard)                 the store's name for a reader's shard
  draft_shard(reader, shard, config, seed) -> Iterator[list[Sample] | dict]
      yields lists of candidate samples (``WRITE_EVERY`` images at a time), then one stats dict:
      {"images", "tasks": {task: n}, "categories": {name: n}, "skipped": {reason: n},
       "vt_res_kinds": {single|multi|none: n}}
  drafter_for(spec)                        one drafter per process per spec (models load once)

The output of a shard depends only on (source shard, config, seed): sample ids are stable and a
re-run replaces the same ids, so a shard interrupted before ``finish_shard`` is simply redone.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

from builders.balance import ShardBalance
from builders.config import BuildConfig
from builders.description import description_samples
from builders.drafters import make_drafter
from builders.drafters.base import Drafter
from builders.mcq import mcq_samples
from builders.scene import Scene
from builders.vtres import vtres_samples
from perbench.errors import PerBenchError
from perbench.schema import Sample
from perbench.sources import SourceReader
from perbench.sources.annotated import skip_reason

WRITE_EVERY = 32
_DRAFTERS: dict[str, Drafter] = {}


def shard_key(reader: SourceReader, shard: str) -> str:
    return f"{reader.name}:{shard}"


def drafter_for(spec: dict[str, Any]) -> Drafter:
    key = json.dumps(spec, sort_keys=True)
    if key not in _DRAFTERS:
        _DRAFTERS[key] = make_drafter(spec)
    return _DRAFTERS[key]


def _vocabulary(reader: SourceReader) -> list[tuple[str, str | None]]:
    categories = getattr(reader, "categories", None)
    return list(categories()) if callable(categories) else []


def draft_shard(
    reader: SourceReader, shard: str, config: BuildConfig, seed: int
) -> Iterator[list[Sample] | dict[str, Any]]:
    drafter = drafter_for(config.drafter) if "description" in config.tasks else None
    vocabulary = _vocabulary(reader)
    balance = ShardBalance(seed, shard_key(reader, shard))
    tasks: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    category_counts: Counter[str] = Counter()
    skips_before = Counter(getattr(reader, "skips", Counter()))
    images = 0
    batch: list[Sample] = []
    aliases = config.display_names.get(getattr(reader, "name", ""), {})
    vocabulary = [(aliases.get(name, name), sup) for name, sup in vocabulary]
    seen_categories = {name for name, _ in vocabulary}
    for image in reader.read_shard(shard):
        for instance in image.instances:
            if instance.category in aliases:
                instance.category = aliases[instance.category]
            if instance.category and instance.category not in seen_categories:
                seen_categories.add(instance.category)
                vocabulary.append((instance.category, instance.supercategory))
        try:
            scene, left_out = Scene.prepare(image, config, seed, vocabulary, category_counts)
        except PerBenchError as exc:
            if not config.skip_errors:
                raise
            skipped[f"image: {skip_reason(exc)}"] += 1
            continue
        images += 1
        skipped.update({f"object: {reason}": n for reason, n in left_out.items()})
        samples: list[Sample] = []
        if "description" in config.tasks:
            samples += description_samples(scene, drafter)
        if "mcq" in config.tasks:
            found, why = mcq_samples(scene, balance)
            samples += found
            skipped.update(why)
        if "vt_res" in config.tasks:
            found, why = vtres_samples(scene)
            samples += found
            skipped.update(why)
        for sample in samples:
            tasks[sample.task] += 1
            categories[sample.meta.get("category") or "(none)"] += 1
            if sample.task == "vt_res":
                kinds[sample.meta["kind"]] += 1
        batch += samples
        if images % WRITE_EVERY == 0 and batch:
            yield batch
            batch = []
    if batch:
        yield batch
    reader_skips = Counter(getattr(reader, "skips", Counter()))
    reader_skips.subtract(skips_before)
    skipped.update({f"image: {reason}": n for reason, n in reader_skips.items() if n > 0})
    yield {
        "images": images,
        "tasks": dict(tasks),
        "categories": dict(categories),
        "skipped": dict(skipped),
        "vt_res_kinds": dict(kinds),
    }
