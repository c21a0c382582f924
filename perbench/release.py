"""Releases: immutable, versioned folders of samples that ``datasets`` reads offline.

API:
  write_release(samples, out_dir, name, version, ...)  -> Path   (refuses an existing folder)
  verified_log(store) -> LogCheck   the store's decision chain and content hashes, or refuse
  release_from_store(store, out_dir, name, version, log_check=None, ...) -> Path
                          accepted samples only; the spot check's estimate goes in the manifest
  Release(path)           .manifest .name .version .fingerprint .tasks
                          .samples(task, with_image) .sample(id) .ids(task) .count(task)
  verify_release(path, fingerprint=None, public_key=None) -> list of problems (empty when
                          every byte matches the manifest; see perbench.provenance)
  sample_from_row(row, with_image) -> Sample   one parquet / datasets row (the dict is consumed)

Layout (one config per task, parquet shards + dataset card + manifest):
  R/README.md                      HF dataset card, ``configs:`` YAML, one config per task
  R/manifest.json                  name, version, counts, sha256 of every file, builders, review
  R/<task>/test-0000K-of-0000N.parquet
Load one task offline: ``datasets.load_dataset("parquet", data_files=str(R / "mcq/*.parquet"))``
or ``datasets.load_dataset(str(R), "mcq")``. ``source`` and ``meta`` are JSON strings in parquet.
With ``marked_images=True`` each row also carries ``image_marked``: the image with its prompt
regions outlined and labelled by tag, for models that cannot take a mask as input.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tqdm import tqdm

from perbench import __version__, spot_check
from perbench.card import CardFacts, dataset_card
from perbench.errors import ReleaseError, SchemaError, storage_error
from perbench.jsonfile import read_json
from perbench.provenance import (
    SIGNATURE,
    card_fingerprint,
    card_for_hashing,
    make_readable,
    rows_without_bytes,
    signature_problems,
    stamp_card,
    symlink_problems,
)
from perbench.schema import SCHEMA_VERSION, TASKS, Sample, validate_sample

MANIFEST = "manifest.json"
IMAGE_SPILL = ".images"
CARD = "README.md"


def _features(marked: bool):
    from datasets import Features, Image, List, Value

    rle = {"size": List(Value("int64")), "counts": Value("string")}
    columns = {
        "id": Value("string"),
        "task": Value("string"),
        "image": Image(),
        "image_id": Value("string"),
        "width": Value("int64"),
        "height": Value("int64"),
        "source": Value("string"),
        "prompts": List({"tag": Value("string"), "mask": rle}),
        "question": Value("string"),
        "references": List(Value("string")),
        "options": List(Value("string")),
        "answer": Value("int64"),
        "targets": List(rle),
        "meta": Value("string"),
    }
    if marked:
        columns["image_marked"] = Image()
    return Features(columns)


def _row(sample: Sample, marked: bool) -> dict[str, Any]:
    from perbench.render import marked_image_bytes

    if not isinstance(sample.image, (bytes, str)):
        raise SchemaError("has no image to release", where=f"sample {sample.id}")
    try:
        image = sample.image if isinstance(sample.image, bytes) else Path(sample.image).read_bytes()
    except OSError as exc:
        raise SchemaError(f"cannot read its image: {exc}", where=f"sample {sample.id}") from None
    row = sample.to_dict(with_image=False)
    row["image"] = {"bytes": image, "path": sample.meta.get("file_name") or f"{sample.image_id}"}
    row["source"] = json.dumps(sample.source, sort_keys=True)
    row["meta"] = json.dumps(sample.meta, sort_keys=True)
    if marked:
        row["image_marked"] = {"bytes": marked_image_bytes(image, sample.prompts), "path": None}
    return row


def _table(dataset_class, rows: list[dict[str, Any]], features):
    """The arrow table of ``rows`` with every image's bytes kept: ``datasets`` would drop them
    and keep only the path when a file of that relative path exists in the working folder."""
    import pyarrow as pa

    paths = [row["image"]["path"] for row in rows]
    for row in rows:
        row["image"] = {"bytes": row["image"]["bytes"], "path": None}
    table = dataset_class.from_list(rows, features=features).data.table
    images = table.column("image").combine_chunks()
    fixed = pa.StructArray.from_arrays(
        [images.field("bytes"), pa.array(paths, pa.string())], names=["bytes", "path"]
    )
    index = table.schema.get_field_index("image")
    return table.set_column(index, table.schema.field(index), fixed)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _collect(
    samples: Iterable[Sample], spill: Path, progress: bool, withheld: bool = False
) -> dict[str, list[Sample]]:
    """Validate and group samples by task; image bytes go to ``spill`` (one file per distinct
    image) so memory holds only the samples' text and RLE, whatever the release's size."""
    spill.mkdir()
    by_task: dict[str, list[Sample]] = defaultdict(list)
    seen: set[str] = set()
    for sample in tqdm(samples, desc="validating samples", disable=not progress, unit="sample"):
        validate_sample(sample, withheld)
        if sample.id in seen:
            raise SchemaError("id appears twice in the release", where=f"sample {sample.id}")
        seen.add(sample.id)
        if isinstance(sample.image, bytes):
            spilled = spill / hashlib.sha256(sample.image).hexdigest()
            if not spilled.exists():
                spilled.write_bytes(sample.image)
            sample = replace(sample, image=str(spilled))
        by_task[sample.task].append(sample)
    if not seen:
        raise ReleaseError(
            "no samples to release", hint="accept some candidates in the review app first"
        )
    return by_task


def write_release(
    samples: Iterable[Sample],
    out_dir: str | Path,
    name: str,
    version: str,
    *,
    marked_images: bool = False,
    shard_size: int = 500,
    extra_manifest: dict[str, Any] | None = None,
    progress: bool = True,
    card_extra: str | None = None,
    review_error: dict[str, str] | None = None,
    withheld: bool = False,
) -> Path:
    """Write samples as a new release folder; raise ``ReleaseError`` if ``out_dir`` exists.
    ``card_extra`` (Markdown) is appended to the dataset card (the audit's section);
    ``review_error`` (task -> the spot check's sentence) is stated on the card;
    ``withheld``: the samples are a withheld split's public part (``perbench.withheld``)."""
    import pyarrow.parquet as pq
    from datasets import Dataset

    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ReleaseError(
            "release folder already exists; a release is immutable",
            where=str(out_dir),
            hint="choose a new --version or output folder",
        )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        by_task = _collect(samples, staging / IMAGE_SPILL, progress, withheld)
        features = _features(marked_images)
        files: dict[str, str] = {}
        for task in TASKS:
            task_samples = sorted(by_task.get(task, []), key=lambda s: s.id)
            shards = max(1, -(-len(task_samples) // shard_size)) if task_samples else 0
            for index in tqdm(
                range(shards), desc=f"writing {task}", disable=not progress, unit="shard"
            ):
                chunk = task_samples[index * shard_size : (index + 1) * shard_size]
                relative = f"{task}/test-{index:05d}-of-{shards:05d}.parquet"
                (staging / task).mkdir(exist_ok=True)
                rows = [_row(s, marked_images) for s in chunk]
                pq.write_table(_table(Dataset, rows, features), staging / relative)
        shutil.rmtree(staging / IMAGE_SPILL)
        counts = {task: len(by_task.get(task, [])) for task in TASKS}
        licenses = sorted({s.source.get("license", "") for v in by_task.values() for s in v} - {""})
        sources = sorted({s.source.get("dataset", "") for v in by_task.values() for s in v} - {""})
        # The fingerprint is the manifest's hash, known only once the manifest is written: the
        # card is hashed with a blank one and stamped afterwards (perbench.provenance).
        facts = CardFacts(
            name,
            version,
            counts,
            licenses,
            sources,
            fingerprint="0" * 64,
            audit=card_extra,
            completeness=(extra_manifest or {}).get("completeness", {}),
            review_error=review_error,
        )
        (staging / CARD).write_text(dataset_card(facts))
        for path in sorted(staging.rglob("*")):
            if path.is_file():
                files[path.relative_to(staging).as_posix()] = sha256_file(path)
        files[CARD] = hashlib.sha256(card_for_hashing((staging / CARD).read_text())).hexdigest()
        manifest = {
            "name": name,
            "version": version,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "schema_version": SCHEMA_VERSION,
            "perbench_version": __version__,
            "counts": counts,
            "marked_images": marked_images,
            "sources": sorted(
                {s.source.get("dataset", "unknown") for v in by_task.values() for s in v}
            ),
            "licenses": licenses,
            **(extra_manifest or {}),
            "files": files,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        stamp_card(staging / CARD, sha256_file(staging / MANIFEST))
        make_readable(staging)
        if out_dir.exists():
            out_dir.rmdir()
        os.replace(staging, out_dir)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        storage = storage_error(exc, str(out_dir))
        if storage is not None:
            raise storage from None
        raise
    return out_dir


def verified_log(store):
    """The store's ``verify_log()`` (chain and content); a broken one refuses the release."""
    check = store.verify_log()
    if not check.ok:
        raise ReleaseError(
            f"the decision log is broken at seq {check.broken_seq}: {check.reason}",
            where=str(store.path),
            hint="the store was edited outside perbench; restore it from a backup",
        )
    return check


def release_from_store(
    store, out_dir: str | Path, name: str, version: str, log_check=None, **kwargs: Any
) -> Path:
    """Release the store's samples accepted under its review rule; reviewers go in the manifest.
    ``log_check``: the caller's ``verified_log(store)`` (else it is checked here)."""
    check = log_check or verified_log(store)
    states = store.states()
    released = [
        task
        for task in TASKS
        if any(states[i].status == "accepted" for i in store.candidate_ids(task))
    ]
    found = spot_check.estimates(store)
    reviewers: Counter[str] = Counter()
    for entry in store.decisions():
        if entry.decision != "undo":
            reviewers[entry.reviewer] += 1
    status_counts = Counter(state.status for state in states.values())
    info = store.info()
    review = {
        "required_accepts": store.required_accepts,
        "candidates": len(states),
        "status_counts": dict(sorted(status_counts.items())),
        "decisions_by_reviewer": dict(sorted(reviewers.items())),
        "store": Path(store.path).name,
        "log_entries": check.entries,
        "log_chain_head": check.head,
        "spot_check": {
            task: found[task].to_dict()
            if task in found
            else {"n": 0, "text": spot_check.CARD_PREFIX + "not measured"}
            for task in released
        },
    }
    extra = {
        "review": review,
        "builders": info.get("builders", {}),
        "completeness": info.get("completeness", {}),
        **kwargs.pop("extra_manifest", {}),
    }
    return write_release(
        store.accepted_samples(states=states),
        out_dir,
        name,
        version,
        extra_manifest=extra,
        review_error=spot_check.card_lines(found, released),
        **kwargs,
    )


class Release:
    """A release folder opened read-only. Samples stream shard by shard (no full load)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        manifest_path = self.path / MANIFEST
        if not manifest_path.is_file():
            raise ReleaseError("not a release: manifest.json is missing", where=str(self.path))
        self.manifest: dict[str, Any] = read_json(manifest_path, "manifest.json", ReleaseError)
        _check_manifest(self.manifest, manifest_path)
        self.fingerprint = hashlib.sha256(manifest_path.read_bytes()).hexdigest()

    @property
    def name(self) -> str:
        return self.manifest["name"]

    @property
    def version(self) -> str:
        return self.manifest["version"]

    @property
    def tasks(self) -> list[str]:
        return [task for task in TASKS if self.manifest["counts"].get(task)]

    def shard_files(self, task: str) -> list[Path]:
        names = sorted(
            f for f in self.manifest["files"] if f.startswith(f"{task}/") and f.endswith(".parquet")
        )
        return [self.path / name for name in names]

    def count(self, task: str | None = None) -> int:
        counts = self.manifest["counts"]
        return counts.get(task, 0) if task else sum(counts.values())

    def samples(self, task: str | None = None, with_image: bool = False) -> Iterator[Sample]:
        """Samples of one task (or all, task by task), in id order."""
        import pyarrow.parquet as pq

        columns = None if with_image else [c for c in _features(False) if c != "image"]
        for current in [task] if task else self.tasks:
            for shard in self.shard_files(current):
                if not shard.is_file():
                    raise ReleaseError("shard listed in the manifest is missing", where=str(shard))
                try:
                    table = pq.read_table(shard, columns=columns)
                except Exception as exc:
                    raise ReleaseError(
                        f"cannot read parquet shard: {exc}", where=str(shard)
                    ) from None
                for row in table.to_pylist():
                    yield sample_from_row(row, with_image)

    def ids(self, task: str | None = None) -> list[str]:
        return [s.id for s in self.samples(task)]

    def sample(self, sample_id: str, with_image: bool = True) -> Sample:
        for sample in self.samples(with_image=with_image):
            if sample.id == sample_id:
                return sample
        raise ReleaseError(f"no sample with id {sample_id!r}", where=str(self.path))


def _check_manifest(manifest: Any, where: Path) -> None:
    """The manifest's shape: counts of samples per task, files as safe relative paths."""
    if not isinstance(manifest, dict):
        raise ReleaseError("manifest.json must hold a JSON object", where=str(where))
    for key in ("name", "version", "counts", "files"):
        if key not in manifest:
            raise ReleaseError(f"manifest.json lacks '{key}'", where=str(where))
    counts, files = manifest["counts"], manifest["files"]
    if not isinstance(counts, dict) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts.values()
    ):
        raise ReleaseError(
            "manifest.json 'counts' must map tasks to sample counts", where=str(where)
        )
    if not isinstance(files, dict) or not all(isinstance(h, str) for h in files.values()):
        raise ReleaseError("manifest.json 'files' must map file paths to sha256", where=str(where))
    for relative in files:
        if Path(relative).is_absolute() or ".." in Path(relative).parts:
            raise ReleaseError(
                f"manifest.json lists a file outside the release: {relative!r}", where=str(where)
            )


def sample_from_row(row: dict[str, Any], with_image: bool) -> Sample:
    image = row.pop("image", None)
    row.pop("image_marked", None)
    row["source"] = json.loads(row["source"]) if row.get("source") else {}
    row["meta"] = json.loads(row["meta"]) if row.get("meta") else {}
    sample = Sample.from_dict(row)
    if with_image and image is not None:
        sample.image = image["bytes"]
    return sample


def verify_release(
    path: str | Path, fingerprint: str | None = None, public_key: str | Path | None = None
) -> list[str]:
    """Every difference between the folder and its manifest: symlinks, changed, missing or extra
    files, a card whose fingerprint is not the manifest's hash, rows without image bytes; and,
    when given, a fingerprint other than ``fingerprint`` or a signature not by ``public_key``."""
    root = Path(path)
    problems = symlink_problems(root)
    if problems:
        return problems
    release = Release(root)
    if fingerprint is not None and fingerprint.lower() != release.fingerprint:
        problems.append(
            f"fingerprint is {release.fingerprint}, not the published {fingerprint}: "
            "this is not that release (manifest.json differs)"
        )
    if public_key is not None:
        problems += signature_problems(root, Path(public_key))
    listed = release.manifest["files"]
    for relative, expected in sorted(listed.items()):
        file = release.path / relative
        if not file.is_file():
            problems.append(f"{relative}: missing")
        elif _file_hash(file, relative) != expected:
            problems.append(f"{relative}: sha256 differs from manifest.json (file changed)")
    for file in sorted(release.path.rglob("*")):
        relative = file.relative_to(release.path).as_posix()
        if file.is_file() and relative not in (MANIFEST, SIGNATURE) and relative not in listed:
            problems.append(f"{relative}: not listed in manifest.json (file added)")
    if not problems:
        problems += _count_problems(release)
    stamped = card_fingerprint(root / CARD)
    if CARD in listed and (root / CARD).is_file() and stamped != release.fingerprint:
        problems.append(
            f"manifest.json: its sha256 is {release.fingerprint} but {CARD} records "
            f"{stamped}: the manifest was edited after the release was made"
        )
    return problems


def _file_hash(file: Path, relative: str) -> str:
    if relative == CARD:
        return hashlib.sha256(card_for_hashing(file.read_text(errors="replace"))).hexdigest()
    return sha256_file(file)


def _count_problems(release: Release) -> list[str]:
    """Tasks whose parquet rows differ from the manifest's counts (an edited manifest)."""
    import pyarrow.parquet as pq

    problems = []
    for task in sorted(set(TASKS) | set(release.manifest["counts"])):
        rows = sum(pq.ParquetFile(f).metadata.num_rows for f in release.shard_files(task))
        expected = release.count(task)
        if rows != expected:
            problems.append(f"{task}: manifest.json counts {expected} samples, shards hold {rows}")
        for shard in release.shard_files(task):
            if missing := rows_without_bytes(shard):
                problems.append(
                    f"{shard.relative_to(release.path).as_posix()}: {missing} rows carry no "
                    "image bytes (only a path, which load_dataset cannot open elsewhere)"
                )
    return problems
