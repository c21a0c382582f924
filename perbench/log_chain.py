"""Tamper evidence for the decision log: a hash chain over every entry, and insert guards.

API:
  GENESIS                          the "previous hash" of the first entry (64 zeros)
  install(conn, where)             chain table and guard triggers; chain row 0, the genesis,
                                   marks a store as chained. A log with decisions but no chain
                                   (a dropped or emptied chain table) is refused, never
                                   re-chained: re-chaining would bless whatever was edited
  append(conn, seq)                chain the decision ``seq`` just inserted (same transaction)
  verify(conn) -> LogCheck         recompute the chain; names the first broken link
  LogCheck(entries, head, broken_seq, reason)   ``ok`` when nothing is broken

Each entry's hash is sha256 of the previous entry's hash plus a canonical JSON (sorted keys, no
spaces) of *every* column of its ``decisions`` row as stored, read with ``SELECT *``, so columns
added later are covered too. The column names are kept with the hash (a later ``ALTER TABLE``
does not break older links) and are part of the hashed JSON (dropping one breaks the link).
Guards: a BEFORE INSERT trigger on each table refuses a row whose ``seq`` exists (``INSERT OR
REPLACE`` would otherwise delete and rewrite a past decision without firing the delete trigger);
UPDATE and DELETE are refused as for ``decisions``. Triggers can be dropped by anyone who can
write the file, so they are a guard, not the guarantee: ``verify`` is, and a release records the
chain head it was made from.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from perbench.errors import StoreError

GENESIS = "0" * 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decision_chain (
  seq INTEGER PRIMARY KEY, columns TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS decisions_no_replace BEFORE INSERT ON decisions
  WHEN EXISTS (SELECT 1 FROM decisions WHERE seq = NEW.seq)
  BEGIN SELECT RAISE(ABORT, 'decisions are append-only: that seq exists'); END;
CREATE TRIGGER IF NOT EXISTS decision_chain_no_replace BEFORE INSERT ON decision_chain
  WHEN EXISTS (SELECT 1 FROM decision_chain WHERE seq = NEW.seq)
  BEGIN SELECT RAISE(ABORT, 'the decision chain is append-only'); END;
CREATE TRIGGER IF NOT EXISTS decision_chain_no_update BEFORE UPDATE ON decision_chain
  BEGIN SELECT RAISE(ABORT, 'the decision chain is append-only'); END;
CREATE TRIGGER IF NOT EXISTS decision_chain_no_delete BEFORE DELETE ON decision_chain
  BEGIN SELECT RAISE(ABORT, 'the decision chain is append-only'); END;
"""


@dataclass(frozen=True)
class LogCheck:
    entries: int
    head: str
    broken_seq: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def _hash(previous: str, row: dict[str, Any], columns: list[str]) -> str:
    content = json.dumps(
        {name: row[name] for name in columns}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256((previous + content).encode()).hexdigest()


def _rows(conn: sqlite3.Connection, where: str = "", params: tuple = ()):
    cursor = conn.execute(f"SELECT * FROM decisions {where} ORDER BY seq", params)
    names = [column[0] for column in cursor.description]
    for values in cursor:
        yield dict(zip(names, values, strict=True))


def _head(conn: sqlite3.Connection) -> str:
    row = conn.execute("SELECT hash FROM decision_chain ORDER BY seq DESC LIMIT 1").fetchone()
    return row[0] if row else GENESIS


def install(conn: sqlite3.Connection, where: str) -> None:
    """Create the chain and its guards (new store); refuse a log that has lost its chain."""
    conn.executescript(_SCHEMA)
    started = "SELECT 1 FROM decision_chain WHERE seq = 0"
    if conn.execute(started).fetchone():
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if not conn.execute(started).fetchone():
            decisions = conn.execute("SELECT count(*) FROM decisions").fetchone()[0]
            if decisions:
                raise StoreError(
                    f"the decision log has {decisions} decisions but its hash chain "
                    "(table decision_chain) is missing or emptied: the store was altered outside "
                    "perbench, or made by a version before the chain",
                    where=where,
                    hint="restore the store from a backup; perbench never re-chains a log",
                )
            conn.execute(
                "INSERT INTO decision_chain(seq, columns, hash) VALUES (0, '[]', ?)", (GENESIS,)
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _chain_row(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    columns = sorted(row)
    conn.execute(
        "INSERT INTO decision_chain(seq, columns, hash) VALUES (?, ?, ?)",
        (row["seq"], json.dumps(columns), _hash(_head(conn), row, columns)),
    )


def append(conn: sqlite3.Connection, seq: int) -> None:
    """Chain the just-inserted decision ``seq``; call inside the inserting transaction."""
    for row in _rows(conn, "WHERE seq = ?", (seq,)):
        _chain_row(conn, row)


def verify(conn: sqlite3.Connection) -> LogCheck:
    """Recompute every link; the first decision whose hash or chain entry is wrong is named."""
    chain = {
        seq: (json.loads(columns), stored)
        for seq, columns, stored in conn.execute(
            "SELECT seq, columns, hash FROM decision_chain WHERE seq > 0"
        )
    }
    previous, count = GENESIS, 0
    for row in _rows(conn):
        count += 1
        seq = row["seq"]
        if seq not in chain:
            return LogCheck(count, previous, seq, "no chain entry (inserted outside perbench)")
        columns, stored = chain.pop(seq)
        if any(name not in row for name in columns):
            return LogCheck(count, previous, seq, "a hashed column is gone")
        if _hash(previous, row, columns) != stored:
            return LogCheck(count, previous, seq, "content or order differs from its hash")
        previous = stored
    if chain:
        first = min(chain)
        return LogCheck(count, previous, first, "decision is gone (its chain entry remains)")
    return LogCheck(count, previous)
