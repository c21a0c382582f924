"""Candidate store: one SQLite file (WAL mode) per build.

API:
  CandidateStore(path, create=False)      open (or create) a store
  .add_candidates(samples, shard=None)    insert draft samples + their images (one transaction)
  .finish_shard(shard, stats) / .shard_finished(shard)   idempotent, resumable builds
  .candidate(id) / .candidates(task) / .candidate_ids(task) / .count(task)
  .record(sample_id, reviewer, decision, after=None, reasons=None, note=None, version=None)
                                          append a decision bound to the version it was made on;
                                          ``reasons``: structured reasons (perbench.needs), kept
                                          as JSON in the ``reason`` column (``reason="text"``, the
                                          older plain-text form, reads back as ``other`` + note)
  .undo_last(reviewer, sample_id=None)    append an undo of the reviewer's last live decision
  .decisions(sample_id=None)              the append-only log, oldest first
  .decisions_since(seq)                   entries appended after ``seq``
  .state(sample_id) / .states(task)       status derived from the log (perbench.review_log)
  .accepted_samples(task)                 final samples (edits applied, review record in meta)
  .set_info / .info, .required_accepts    build information and the review rule (k >= 1 accepts)
  .integrity_check()                      SQLite's own check ("ok" when sound)
  .verify_log() -> LogCheck               the decision log's hash chain (perbench.log_chain),
                                          then each decision's content hashes against the store
  .checkpoint() / .export(out)            WAL into the main file / a consistent copy (store_copy)

Every write is one ``BEGIN IMMEDIATE`` transaction, so concurrent writers from several processes
queue on SQLite's lock and lose nothing, and a process killed mid-write leaves every committed
decision and no half-written one. The ``decisions`` table refuses UPDATE and DELETE (triggers),
and each decision is hash-chained to the one before (``perbench.log_chain``).
Each decision carries ``version`` (``perbench.review_log.payload_version`` of the sample the
reviewer saw); stores made before that column existed gain it on open (old rows: NULL). Each
also carries the sha256 of the stored payload and image it was made on (perbench.store_content:
an edit of accepted content is found by ``verify_log``; older stores are upgraded once, on open).
A decided candidate's payload cannot be replaced by a later ``add_candidates``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from perbench import log_chain, store_content, store_copy
from perbench.errors import StoreError, storage_error
from perbench.review_log import SampleState
from perbench.schema import Sample, validate_sample
from perbench.store_log import EDITABLE_FIELDS, DecisionLog, now_utc

__all__ = ["EDITABLE_FIELDS", "CandidateStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS images (
  image_id TEXT PRIMARY KEY, file_name TEXT NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS candidates (
  id TEXT PRIMARY KEY, task TEXT NOT NULL, image_id TEXT NOT NULL REFERENCES images(image_id),
  payload TEXT NOT NULL, shard TEXT, created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS candidates_task ON candidates(task);
CREATE TABLE IF NOT EXISTS shards (shard TEXT PRIMARY KEY, finished_at TEXT NOT NULL, stats TEXT);
CREATE TABLE IF NOT EXISTS decisions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  sample_id TEXT NOT NULL REFERENCES candidates(id),
  reviewer TEXT NOT NULL,
  decision TEXT NOT NULL,
  reason TEXT, note TEXT,
  before TEXT, after TEXT,
  undoes INTEGER REFERENCES decisions(seq),
  created_at TEXT NOT NULL,
  app_version TEXT NOT NULL,
  version TEXT,
  payload_sha256 TEXT,
  image_sha256 TEXT);
CREATE INDEX IF NOT EXISTS decisions_sample ON decisions(sample_id);
CREATE INDEX IF NOT EXISTS decisions_reviewer ON decisions(reviewer);
CREATE TRIGGER IF NOT EXISTS decisions_no_update BEFORE UPDATE ON decisions
  BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_no_delete BEFORE DELETE ON decisions
  BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
"""


def _add_version_column(conn: sqlite3.Connection) -> None:
    """Migrate a store made before decisions carried the version they were made on."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(decisions)")}
    if "version" not in columns:
        try:
            conn.execute("ALTER TABLE decisions ADD COLUMN version TEXT")
        except sqlite3.OperationalError as exc:  # another process migrated it first
            if "duplicate column" not in str(exc):
                raise


class CandidateStore(DecisionLog):
    """A build's candidates and their append-only review log, in one SQLite file."""

    def __init__(self, path: str | Path, create: bool = False):
        self.path = Path(path)
        if not create and not self.path.exists():
            raise StoreError(
                "candidate store not found", where=str(self.path), hint="run 'perbench build' first"
            )
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._content = store_content.ContentHashes()
        try:
            self._conn().executescript(_SCHEMA)
            _add_version_column(self._conn())
            log_chain.install(self._conn(), str(self.path))
            store_content.upgrade(self._conn(), str(self.path))
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"not a readable candidate store: {exc}", where=str(self.path)
            ) from None

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 60000")
            _enable_wal(conn)
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except (OSError, sqlite3.Error) as exc:
            raise storage_error(exc, str(self.path)) or exc from None

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # build information -------------------------------------------------------------------
    def set_info(self, **values: Any) -> None:
        if "required_accepts" in values:
            _check_required_accepts(values["required_accepts"], str(self.path))
        with self._write() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO info(key, value) VALUES (?, ?)",
                [(k, json.dumps(v)) for k, v in values.items()],
            )

    def info(self) -> dict[str, Any]:
        rows = self._conn().execute("SELECT key, value FROM info").fetchall()
        return {k: json.loads(v) for k, v in rows}

    @property
    def required_accepts(self) -> int:
        return _check_required_accepts(self.info().get("required_accepts", 1), str(self.path))

    # candidates ----------------------------------------------------------------------------
    def add_candidates(self, samples: Iterable[Sample], shard: str | None = None) -> int:
        """Validate and insert samples (replacing same ids) with their images; returns the count."""
        rows, images = [], {}
        for sample in samples:
            validate_sample(sample)
            if sample.image_id not in images:
                images[sample.image_id] = _image_bytes(sample)
            payload = json.dumps(sample.to_dict(with_image=False))
            rows.append((sample.id, sample.task, sample.image_id, payload, shard, now_utc()))
        with self._write() as conn:
            _refuse_decided_changes(conn, rows, str(self.path))
            conn.executemany(
                "INSERT OR IGNORE INTO images(image_id, file_name, data) VALUES (?, ?, ?)",
                [(key, name, data) for key, (name, data) in images.items()],
            )
            conn.executemany(
                "INSERT INTO candidates(id, task, image_id, payload, shard, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET payload = excluded.payload",
                rows,
            )
        return len(rows)

    def finish_shard(self, shard: str, stats: dict[str, Any] | None = None) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO shards(shard, finished_at, stats) VALUES (?, ?, ?)",
                (shard, now_utc(), json.dumps(stats or {})),
            )

    def shard_finished(self, shard: str) -> bool:
        row = self._conn().execute("SELECT 1 FROM shards WHERE shard = ?", (shard,)).fetchone()
        return row is not None

    def shard_stats(self) -> dict[str, dict[str, Any]]:
        rows = self._conn().execute("SELECT shard, stats FROM shards ORDER BY shard").fetchall()
        return {s: json.loads(st or "{}") for s, st in rows}

    def candidate(self, sample_id: str, with_image: bool = True) -> Sample:
        row = (
            self._conn()
            .execute("SELECT payload, image_id FROM candidates WHERE id = ?", (sample_id,))
            .fetchone()
        )
        if row is None:
            raise StoreError(f"no candidate with id {sample_id!r}", where=str(self.path))
        sample = Sample.from_dict(json.loads(row[0]))
        if with_image:
            sample.image = self.image_bytes(row[1])
        return sample

    def image_bytes(self, image_id: str) -> bytes:
        row = (
            self._conn()
            .execute("SELECT data FROM images WHERE image_id = ?", (image_id,))
            .fetchone()
        )
        if row is None:
            raise StoreError(f"no image with id {image_id!r}", where=str(self.path))
        return bytes(row[0])

    def candidates(self, task: str | None = None, with_image: bool = False) -> Iterator[Sample]:
        """Candidates in id order; images attached only when asked (they are large)."""
        query = "SELECT payload, image_id FROM candidates"
        params: tuple = ()
        if task:
            query, params = query + " WHERE task = ?", (task,)
        for payload, image_id in self._conn().execute(query + " ORDER BY id", params).fetchall():
            sample = Sample.from_dict(json.loads(payload))
            if with_image:
                sample.image = self.image_bytes(image_id)
            yield sample

    def candidate_ids(self, task: str | None = None) -> list[str]:
        if task:
            rows = self._conn().execute(
                "SELECT id FROM candidates WHERE task = ? ORDER BY id", (task,)
            )
        else:
            rows = self._conn().execute("SELECT id FROM candidates ORDER BY id")
        return [r[0] for r in rows.fetchall()]

    def count(self, task: str | None = None) -> int:
        return len(self.candidate_ids(task))

    # decisions -----------------------------------------------------------------------------
    def final_sample(self, sample: Sample, state: SampleState) -> Sample:
        """The candidate with the reviewed edits applied and the review record in meta."""
        final = sample.copy_with(**state.edits)
        final.meta = {**final.meta, "review": state.record()}
        final.meta.pop("draft", None)
        return validate_sample(final)

    def accepted_samples(
        self,
        task: str | None = None,
        with_image: bool = True,
        states: dict[str, SampleState] | None = None,
    ) -> Iterator[Sample]:
        """Accepted candidates as final samples; ``states`` reuses a ``states(task)`` already
        derived by the caller instead of reading the log again."""
        states = self.states(task) if states is None else states
        for sample in self.candidates(task, with_image=with_image):
            state = states[sample.id]
            if state.status == "accepted":
                yield self.final_sample(sample, state)

    def checkpoint(self, passive: bool = False) -> None:
        """Move every committed decision from the WAL into the main file (store_copy)."""
        store_copy.checkpoint(self._conn(), str(self.path), passive)

    def export(self, out: str | Path) -> Path:
        """A consistent single-file copy of the store at ``out`` (store_copy)."""
        return store_copy.export_store(self._conn(), out, str(self.path))

    def integrity_check(self) -> str:
        return self._conn().execute("PRAGMA integrity_check").fetchone()[0]


def _enable_wal(conn: sqlite3.Connection, wait_s: float = 60.0) -> None:
    """Switch to WAL mode. A new file's switch needs a lock that SQLite does not wait for (no
    busy handler), so processes creating one store at once retry here instead of failing."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _check_required_accepts(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise StoreError(
            f"info.required_accepts is {value!r}; a sample needs at least 1 accept",
            where=where,
            hint="set it with 'perbench review STORE --required-accepts K' (K >= 1)",
        )
    return value


def _refuse_decided_changes(conn: sqlite3.Connection, rows: list[tuple], where: str) -> None:
    """A candidate that has decisions keeps the payload they were made on."""
    if conn.execute("SELECT 1 FROM decisions LIMIT 1").fetchone() is None:
        return
    for sample_id, _, _, payload, _, _ in rows:
        stored = conn.execute(
            "SELECT c.payload FROM candidates c WHERE c.id = ? "
            "AND EXISTS (SELECT 1 FROM decisions d WHERE d.sample_id = c.id)",
            (sample_id,),
        ).fetchone()
        if stored is not None and stored[0] != payload:
            raise StoreError(
                f"sample {sample_id} has review decisions; its payload cannot be replaced",
                where=where,
                hint="build into a new store, or keep the reviewed sample as it is",
            )


def _image_bytes(sample: Sample) -> tuple[str, bytes]:
    if isinstance(sample.image, bytes):
        return sample.meta.get("file_name", sample.image_id), sample.image
    if isinstance(sample.image, str):
        path = Path(sample.image)
        try:
            return path.name, path.read_bytes()
        except OSError as exc:
            raise StoreError(
                f"cannot read the image of sample {sample.id}: {exc}", where=str(path)
            ) from None
    raise StoreError(f"sample {sample.id} has no image (bytes or path)")
