"""The submission server's append-only ledger: every upload, result and visibility change.

API:
  EVENT_KINDS                      submitted, scored, failed, published, hidden
  Ledger(path)                     open (or create) the SQLite ledger
  .append(kind, team, submission, data) -> Event     one transaction, hash-chained
  .events(submission=None) -> list[Event]            oldest first
  .submissions(team=None) -> list[Submission]        state derived from the events
  .submission(submission_id) -> Submission | None
  .submitted_today(team) -> int                       uploads counted against the daily quota
  .verify() -> (ok, first_broken_seq | None)          recompute the hash chain
  Event(seq, at, team, submission, kind, data, previous, hash)
  Submission(id, team, benchmark, model, revision, status, visibility, created_at, results,
             error)

Each event's ``hash`` is sha256 of the previous event's hash and a canonical JSON of its own
fields, so editing, inserting or deleting any past event breaks every later link (``verify``).
Triggers refuse UPDATE and DELETE; they are a guard, the chain is the guarantee. Writes are
``BEGIN IMMEDIATE`` transactions, so several threads or processes append without losing one.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from perbench.errors import StoreError

EVENT_KINDS = ("submitted", "scored", "failed", "published", "hidden")
GENESIS = "0" * 64
_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, team TEXT NOT NULL,
  submission TEXT NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL,
  previous TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_submission ON events(submission);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
"""
_HASHED = ("seq", "at", "team", "submission", "kind", "data")


@dataclass(frozen=True)
class Event:
    seq: int
    at: str
    team: str
    submission: str
    kind: str
    data: dict[str, Any]
    previous: str
    hash: str


@dataclass
class Submission:
    """A submission's state: ``status`` scoring | scored | failed; ``visibility`` private |
    public; ``results`` maps protocol to its results file name (inside the server's folder)."""

    id: str
    team: str
    benchmark: str
    model: str
    revision: str | None
    created_at: str
    status: str = "scoring"
    visibility: str = "private"
    results: dict[str, str] = field(default_factory=dict)
    headline: dict[str, dict[str, float | None]] = field(default_factory=dict)
    error: str | None = None


def _digest(previous: str, row: dict[str, Any]) -> str:
    content = json.dumps({k: row[k] for k in _HASHED}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((previous + content).encode()).hexdigest()


class Ledger:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            with self._connect() as conn:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the ledger: {exc}", where=str(self.path)) from None

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=60000")
        return conn

    def append(self, kind: str, team: str, submission: str, data: dict[str, Any]) -> Event:
        if kind not in EVENT_KINDS:
            raise StoreError(f"unknown ledger event {kind!r}; use one of {EVENT_KINDS}")
        at = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
        text = json.dumps(data, sort_keys=True)
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            last = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
            seq, previous = (last[0] + 1, last[1]) if last else (1, GENESIS)
            row = {"seq": seq, "at": at, "team": team, "submission": submission, "kind": kind}
            digest = _digest(previous, {**row, "data": text})
            conn.execute(
                "INSERT INTO events(seq, at, team, submission, kind, data, previous, hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, at, team, submission, kind, text, previous, digest),
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()
        return Event(seq, at, team, submission, kind, data, previous, digest)

    def _rows(self, where: str = "", params: tuple = ()) -> list[tuple]:
        conn = self._connect()
        try:
            return conn.execute(
                "SELECT seq, at, team, submission, kind, data, previous, hash FROM events "
                f"{where} ORDER BY seq",
                params,
            ).fetchall()
        finally:
            conn.close()

    def events(self, submission: str | None = None) -> list[Event]:
        rows = self._rows("WHERE submission = ?", (submission,)) if submission else self._rows()
        return [Event(*row[:5], json.loads(row[5]), row[6], row[7]) for row in rows]

    def verify(self) -> tuple[bool, int | None]:
        previous = GENESIS
        for seq, at, team, submission, kind, data, stored_previous, stored in self._rows():
            row = {"seq": seq, "at": at, "team": team, "submission": submission, "kind": kind}
            if stored_previous != previous or _digest(previous, {**row, "data": data}) != stored:
                return False, seq
            previous = stored
        return True, None

    def submissions(self, team: str | None = None) -> list[Submission]:
        found: dict[str, Submission] = {}
        for event in self.events():
            if team is not None and event.team != team:
                continue
            if event.kind == "submitted":
                found[event.submission] = Submission(
                    id=event.submission,
                    team=event.team,
                    benchmark=event.data["benchmark"],
                    model=event.data["model"],
                    revision=event.data.get("revision"),
                    created_at=event.at,
                )
                continue
            current = found.get(event.submission)
            if current is None:
                continue
            if event.kind == "scored":
                current.status = "scored"
                current.results = event.data["results"]
                current.headline = event.data["headline"]
            elif event.kind == "failed":
                current.status, current.error = "failed", event.data["error"]
            else:
                current.visibility = "public" if event.kind == "published" else "private"
        return list(found.values())

    def submission(self, submission_id: str) -> Submission | None:
        return next((s for s in self.submissions() if s.id == submission_id), None)

    def submitted_today(self, team: str) -> int:
        today = datetime.now(timezone.utc).date().isoformat()
        rows = self._rows("WHERE team = ? AND kind = 'submitted' AND at >= ?", (team, today))
        return len(rows)
