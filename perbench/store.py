"""Candidate store: one SQLite file (WAL mode) per build.

API:
  CandidateStore(path, create=False)      open (or create) a store
  .add_candidates(samples, shard=None)    insert draft samples + their images (one transaction)
  .finish_shard(shard, stats) / .shard_finished(shard)   idempotent, resumable builds
  .candidate(id) / .candidates(task) / .candidate_ids(task) / .count(task)
  .record(sample_id, reviewer, decision, after=None, reason=None, note=None, version=None)
                                          append a decision bound to the version it was made on
  .undo_last(reviewer, sample_id=None)    append an undo of the reviewer's last live decision
  .decisions(sample_id=None)              the append-only log, oldest first
  .decisions_since(seq)                   entries appended after ``seq``
  .state(sample_id) / .states(task)       status derived from the log (perbench.review_log)
  .accepted_samples(task)                 final samples (edits applied, review record in meta)
  .set_info / .info, .required_accepts    build information and the review rule (k accepts)
  .integrity_check()                      SQLite's own check ("ok" when sound)
  .verify_log() -> LogCheck               the decision log's hash chain (perbench.log_chain)

Every write is one ``BEGIN IMMEDIATE`` transaction, so concurrent writers from several processes
queue on SQLite's lock and lose nothing, and a process killed mid-write leaves every committed
decision and no half-written one. The ``decisions`` table refuses UPDATE and DELETE (triggers),
and each decision is hash-chained to the one before (``perbench.log_chain``).
Each decision carries ``version`` (``perbench.review_log.payload_version`` of the sample the
reviewer saw); stores made before that column existed gain it on open (old rows: NULL).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from perbench import __version__, log_chain
from perbench.errors import StoreError, storage_error
from perbench.images import check_image_header
from perbench.review_log import DECISIONS, Decision, SampleState, derive_state, payload_version
from perbench.schema import Sample, sample_from_json, validate_sample

EDITABLE_FIELDS = ("question", "references", "options", "answer", "targets", "prompts")

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
  version TEXT);
CREATE INDEX IF NOT EXISTS decisions_sample ON decisions(sample_id);
CREATE INDEX IF NOT EXISTS decisions_reviewer ON decisions(reviewer);
CREATE TRIGGER IF NOT EXISTS decisions_no_update BEFORE UPDATE ON decisions
  BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_no_delete BEFORE DELETE ON decisions
  BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
"""


_DECISION_COLUMNS = (
    "seq, sample_id, reviewer, decision, reason, note, before, after, undoes, created_at, "
    "app_version, version"
)


def _add_version_column(conn: sqlite3.Connection) -> None:
    """Migrate a store made before decisions carried the version they were made on."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(decisions)")}
    if "version" not in columns:
        try:
            conn.execute("ALTER TABLE decisions ADD COLUMN version TEXT")
        except sqlite3.OperationalError as exc:  # another process migrated it first
            if "duplicate column" not in str(exc):
                raise


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class CandidateStore:
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
        try:
            self._conn().executescript(_SCHEMA)
            _add_version_column(self._conn())
            log_chain.install(self._conn())
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
        return int(self.info().get("required_accepts", 1))

    # candidates ----------------------------------------------------------------------------
    def add_candidates(self, samples: Iterable[Sample], shard: str | None = None) -> int:
        """Validate and insert samples (replacing same ids) with their images; returns the count."""
        rows, images = [], {}
        for sample in samples:
            validate_sample(sample)
            if sample.image_id not in images:
                images[sample.image_id] = _image_bytes(sample)
            payload = json.dumps(sample.to_dict(with_image=False))
            rows.append((sample.id, sample.task, sample.image_id, payload, shard, _now()))
        with self._write() as conn:
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
                (shard, _now(), json.dumps(stats or {})),
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
        sample = sample_from_json(row[0], f"{self.path}, candidate {sample_id}")
        if with_image:
            sample.image = self.image_bytes(row[1])
            check_image_header(
                sample.image, sample.height, sample.width, f"{self.path}, image {row[1]}"
            )
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
            sample = sample_from_json(payload, f"{self.path}, a candidate of image {image_id}")
            if with_image:
                sample.image = self.image_bytes(image_id)
                where = f"{self.path}, image {image_id}"
                check_image_header(sample.image, sample.height, sample.width, where)
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
    def record(
        self,
        sample_id: str,
        reviewer: str,
        decision: str,
        *,
        after: dict[str, Any] | None = None,
        reason: str | None = None,
        note: str | None = None,
        app_version: str = __version__,
        version: str | None = None,
    ) -> Decision:
        """Append one decision. ``after`` holds edited fields (edit_accept / resolve_*).

        ``version``: the hash of the sample the reviewer saw (the review app passes it); None
        means the draft with ``after`` applied.
        """
        recordable = tuple(d for d in DECISIONS if d != "undo")  # undo goes through undo_last
        if decision not in recordable:
            raise StoreError(f"unknown decision {decision!r}; use one of {recordable}")
        if not reviewer:
            raise StoreError("a decision needs a reviewer name")
        before = None
        if after:
            bad = sorted(set(after) - set(EDITABLE_FIELDS))
            if bad:
                raise StoreError(f"fields {bad} cannot be edited; editable: {EDITABLE_FIELDS}")
            original = self.candidate(sample_id, with_image=False)
            edited = validate_sample(original.copy_with(**after))
            before = {k: getattr(original, k) for k in after}
            after = {k: getattr(edited, k) for k in after}
            if version is None:
                version = payload_version(edited.to_dict())
        elif version is None:
            version = payload_version(self.candidate(sample_id, with_image=False).to_dict())
        with self._write() as conn:
            if (
                conn.execute("SELECT 1 FROM candidates WHERE id = ?", (sample_id,)).fetchone()
                is None
            ):
                raise StoreError(f"no candidate with id {sample_id!r}", where=str(self.path))
            return self._append(
                conn, sample_id, reviewer, decision, reason, note, before, after, None, app_version,
                version,
            )  # fmt: skip

    def undo_last(
        self, reviewer: str, sample_id: str | None = None, app_version: str = __version__
    ) -> Decision | None:
        """Cancel the reviewer's latest live decision (on ``sample_id`` if given); None if none."""
        with self._write() as conn:
            query = (
                f"SELECT {_DECISION_COLUMNS} FROM decisions d "
                "WHERE reviewer = ? AND decision != 'undo' "
                "AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.seq)"
            )
            params: list[Any] = [reviewer]
            if sample_id is not None:
                query += " AND sample_id = ?"
                params.append(sample_id)
            row = conn.execute(query + " ORDER BY seq DESC LIMIT 1", params).fetchone()
            if row is None:
                return None
            target = _decision_from_row(row)
            self._append(
                conn,
                target.sample_id,
                reviewer,
                "undo",
                None,
                None,
                None,
                None,
                target.seq,
                app_version,
                target.version,
            )
            return target

    def _append(
        self, conn, sample_id, reviewer, decision, reason, note, before, after, undoes, app_version,
        version,
    ) -> Decision:  # fmt: skip
        created = _now()
        cursor = conn.execute(
            "INSERT INTO decisions(sample_id, reviewer, decision, reason, note, before, after, "
            "undoes, created_at, app_version, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sample_id,
                reviewer,
                decision,
                reason,
                note,
                json.dumps(before) if before is not None else None,
                json.dumps(after) if after is not None else None,
                undoes,
                created,
                app_version,
                version,
            ),
        )
        log_chain.append(conn, cursor.lastrowid)
        return Decision(
            cursor.lastrowid,
            sample_id,
            reviewer,
            decision,
            reason,
            note,
            before,
            after,
            undoes,
            created,
            app_version,
            version,
        )

    def decisions(self, sample_id: str | None = None) -> list[Decision]:
        if sample_id is None:
            query = f"SELECT {_DECISION_COLUMNS} FROM decisions ORDER BY seq"
            rows = self._conn().execute(query).fetchall()
        else:
            rows = (
                self._conn()
                .execute(
                    f"SELECT {_DECISION_COLUMNS} FROM decisions WHERE sample_id = ? ORDER BY seq",
                    (sample_id,),
                )
                .fetchall()
            )
        return [_decision_from_row(r) for r in rows]

    def decisions_since(self, seq: int) -> list[Decision]:
        """Log entries with ``seq`` greater than the given one (for incremental refreshes)."""
        rows = (
            self._conn()
            .execute(
                f"SELECT {_DECISION_COLUMNS} FROM decisions WHERE seq > ? ORDER BY seq", (seq,)
            )
            .fetchall()
        )
        return [_decision_from_row(r) for r in rows]

    def state(self, sample_id: str) -> SampleState:
        return derive_state(sample_id, self.decisions(sample_id), self.required_accepts)

    def states(self, task: str | None = None) -> dict[str, SampleState]:
        """Every candidate's state (one pass over the log)."""
        by_sample: dict[str, list[Decision]] = {sid: [] for sid in self.candidate_ids(task)}
        for entry in self.decisions():
            if entry.sample_id in by_sample:
                by_sample[entry.sample_id].append(entry)
        k = self.required_accepts
        return {sid: derive_state(sid, log, k) for sid, log in by_sample.items()}

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

    def verify_log(self) -> log_chain.LogCheck:
        """Recompute the decision log's hash chain (``perbench.log_chain``)."""
        return log_chain.verify(self._conn())

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


def _decision_from_row(row: tuple) -> Decision:
    seq, sample_id, reviewer, decision, reason, note, before, after, undoes, created, app, ver = row
    return Decision(
        seq,
        sample_id,
        reviewer,
        decision,
        reason,
        note,
        json.loads(before) if before else None,
        json.loads(after) if after else None,
        undoes,
        created,
        app,
        ver,
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
