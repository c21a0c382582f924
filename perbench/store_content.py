"""Content under the chain: every decision records the sha256 of the payload and image it was
made on, and verification recomputes both, so an edited answer or image cannot ship unseen.

API:
  CONTENT_COLUMNS                    the two columns each ``decisions`` row carries
  ContentHashes()                    sha256 of a candidate's stored payload text and image bytes
    .of(conn, sample_id) -> (payload_sha256, image_sha256)   StoreError when it is gone
  upgrade(conn, where)               the one-time upgrade of a store made before content hashes
  content_problem(conn) -> (seq, reason) | None    the first decision whose content changed

The hashes sit in ``decisions`` rows, which the decision chain (perbench.log_chain) hashes with
``SELECT *``: editing a recorded hash breaks the chain, editing the content breaks the match.

Upgrade of an older store (its ``decisions`` lack the columns), done once on open, in one
transaction, and refused when anything is inconsistent: the decision chain must verify and every
decided candidate and its image must exist. It then adds the columns (old rows keep NULL) and
*seals* the current content of every decided candidate in ``content_seal`` (append-only); the
seal's digest is kept in the append-only chain table as row -1, and ``info.content_upgrade``
records when and by which perbench version. Decisions made before the upgrade are checked
against the seal: content edited before the upgrade cannot be detected, content edited after is.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime, timezone

from perbench import __version__, log_chain
from perbench.errors import StoreError

CONTENT_COLUMNS = ("payload_sha256", "image_sha256")
SEAL_SEQ = -1  # the seal's row in decision_chain (decisions start at 1, the genesis is 0)

_SEAL_SCHEMA = """
CREATE TABLE IF NOT EXISTS content_seal (
  sample_id TEXT PRIMARY KEY, payload_sha256 TEXT NOT NULL, image_sha256 TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS content_seal_no_update BEFORE UPDATE ON content_seal
  BEGIN SELECT RAISE(ABORT, 'the content seal is append-only'); END;
CREATE TRIGGER IF NOT EXISTS content_seal_no_delete BEFORE DELETE ON content_seal
  BEGIN SELECT RAISE(ABORT, 'the content seal is append-only'); END;
"""


class ContentHashes:
    """Hashes of the stored content; image hashes are cached per image id (images are never
    replaced: a cached hash that no longer matches the bytes is exactly what verify reports)."""

    def __init__(self) -> None:
        self._images: dict[str, str] = {}

    def of(self, conn: sqlite3.Connection, sample_id: str) -> tuple[str, str]:
        row = conn.execute(
            "SELECT payload, image_id FROM candidates WHERE id = ?", (sample_id,)
        ).fetchone()
        if row is None:
            raise StoreError(f"no candidate with id {sample_id!r}")
        payload, image_id = row
        return hashlib.sha256(payload.encode()).hexdigest(), self._image(conn, image_id)

    def _image(self, conn: sqlite3.Connection, image_id: str) -> str:
        if image_id not in self._images:
            row = conn.execute("SELECT data FROM images WHERE image_id = ?", (image_id,)).fetchone()
            if row is None:
                raise StoreError(f"no image with id {image_id!r}")
            self._images[image_id] = hashlib.sha256(row[0]).hexdigest()
        return self._images[image_id]


def _seal_digest(conn: sqlite3.Connection) -> str:
    rows = conn.execute(
        "SELECT sample_id, payload_sha256, image_sha256 FROM content_seal ORDER BY sample_id"
    ).fetchall()
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()


def _has_columns(conn: sqlite3.Connection) -> bool:
    columns = {row[1] for row in conn.execute("PRAGMA table_info(decisions)")}
    return set(CONTENT_COLUMNS) <= columns


def upgrade(conn: sqlite3.Connection, where: str) -> None:
    """Give a store made before content hashes its columns and a seal (see the module doc)."""
    conn.executescript(_SEAL_SCHEMA)
    if _has_columns(conn):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        if not _has_columns(conn):  # another process may have upgraded it meanwhile
            _seal(conn, where)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _seal(conn: sqlite3.Connection, where: str) -> None:
    check = log_chain.verify(conn)
    if not check.ok:
        raise StoreError(
            f"cannot upgrade this store to content hashes: its decision log is broken at seq "
            f"{check.broken_seq} ({check.reason})",
            where=where,
            hint="restore the store from a backup",
        )
    hashes = ContentHashes()
    decided = [row[0] for row in conn.execute("SELECT DISTINCT sample_id FROM decisions")]
    sealed = []
    for sample_id in sorted(decided):
        try:
            sealed.append((sample_id, *hashes.of(conn, sample_id)))
        except StoreError as exc:
            raise StoreError(
                f"cannot upgrade this store to content hashes: a decided sample's content is "
                f"missing ({exc})",
                where=where,
                hint="restore the store from a backup",
            ) from None
    for column in CONTENT_COLUMNS:
        conn.execute(f"ALTER TABLE decisions ADD COLUMN {column} TEXT")
    if sealed:
        conn.executemany("INSERT INTO content_seal VALUES (?, ?, ?)", sealed)
        conn.execute(
            "INSERT INTO decision_chain(seq, columns, hash) VALUES (?, '[\"content_seal\"]', ?)",
            (SEAL_SEQ, _seal_digest(conn)),
        )
    record = {
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "perbench_version": __version__,
        "sealed_samples": len(sealed),
        "chain_head": check.head,
    }
    conn.execute(
        "INSERT OR REPLACE INTO info(key, value) VALUES ('content_upgrade', ?)",
        (json.dumps(record),),
    )


def content_problem(conn: sqlite3.Connection) -> tuple[int, str] | None:
    """The first decision (by seq) whose recorded content no longer matches the store."""
    rows = conn.execute(
        "SELECT seq, sample_id, payload_sha256, image_sha256 FROM decisions ORDER BY seq"
    ).fetchall()
    seal = {
        sample_id: (payload, image)
        for sample_id, payload, image in conn.execute("SELECT * FROM content_seal")
    }
    if seal:
        stored = conn.execute(
            "SELECT hash FROM decision_chain WHERE seq = ?", (SEAL_SEQ,)
        ).fetchone()
        if stored is None or stored[0] != _seal_digest(conn):
            first = min((seq for seq, _, payload, _ in rows if payload is None), default=1)
            return first, "the content seal of the store's upgrade was altered"
    hashes = ContentHashes()
    current: dict[str, tuple[str, str] | None] = {}
    for seq, sample_id, payload, image in rows:
        recorded = (payload, image) if payload is not None else seal.get(sample_id)
        if recorded is None:
            return seq, "no content hash (a decision not written by perbench)"
        if sample_id not in current:
            try:
                current[sample_id] = hashes.of(conn, sample_id)
            except StoreError:
                current[sample_id] = None
        now = current[sample_id]
        if now is None:
            return seq, f"sample {sample_id}: its candidate or image is gone"
        if now[0] != recorded[0]:
            return seq, (
                f"sample {sample_id}: the payload differs from the one this decision was made "
                "on (changed after review)"
            )
        if now[1] != recorded[1]:
            return seq, (
                f"sample {sample_id}: the image bytes differ from the ones this decision was "
                "made on (changed after review)"
            )
    return None
