"""Copying a live candidate store safely, and keeping its main file current while it is served.

A store is one SQLite file in WAL mode: a committed decision first lands in ``STORE.sqlite-wal``
and reaches ``STORE.sqlite`` only at a checkpoint. A copy of ``STORE.sqlite`` alone can therefore
miss every recent decision. Either copy with ``export_store`` (SQLite's online backup API: a
consistent single file, safe while reviewers are writing), or checkpoint first.

API:
  checkpoint(conn, where, passive=False)  move every committed WAL frame into the main file
                                          (``passive``: what it can without waiting, never
                                          holding up a reviewer's write)
  export_store(conn, out, where) -> Path  a consistent, self-contained copy at ``out`` (refuses
                                          an existing ``out``; written beside it, then renamed)
  keep_checkpointed(store, every_s) -> Checkpoints   for a server: a passive checkpoint every
                                          ``every_s`` seconds, a full one on SIGTERM (then stop
                                          as Ctrl+C does)
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Any

from perbench.errors import StoreError, storage_error

CHECKPOINT_EVERY_S = 30.0


def checkpoint(conn: sqlite3.Connection, where: str, passive: bool = False) -> None:
    """``PRAGMA wal_checkpoint(TRUNCATE)``, which waits (busy timeout) for readers and writers
    and holds new writers meanwhile; ``passive``: ``PASSIVE``, which waits for nobody."""
    mode = "PASSIVE" if passive else "TRUNCATE"
    try:
        busy, _, _ = conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
    except sqlite3.Error as exc:
        raise storage_error(exc, where) or StoreError(
            f"cannot checkpoint the store: {exc}", where=where
        ) from None
    if busy:
        raise StoreError(
            "the checkpoint could not finish: another connection kept the store busy",
            where=where,
            hint="retry; copy the store with 'perbench review STORE --export-store OUT'",
        )


def export_store(conn: sqlite3.Connection, out: str | Path, where: str) -> Path:
    """Back the store up into ``out`` (one file, rollback journal, no -wal beside it)."""
    out = Path(out)
    if out.exists() or out.is_symlink():
        raise StoreError("the export target exists; nothing was written", where=str(out))
    partial = out.with_name(f".{out.name}.partial")
    try:
        partial.unlink(missing_ok=True)
        copy = sqlite3.connect(partial)
        try:
            conn.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
        os.replace(partial, out)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        raise storage_error(exc, str(out)) or StoreError(
            f"cannot export the store: {exc}", where=where
        ) from None
    return out


class Checkpoints:
    """A timer thread checkpointing a store, and a SIGTERM handler doing it once more."""

    def __init__(self, store: Any, every_s: float):
        self.store = store
        self.every_s = every_s
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="store-checkpoints", daemon=True)

    def _loop(self) -> None:
        while not self.stopped.wait(self.every_s):
            try:
                self.store.checkpoint(passive=True)
            except StoreError as exc:  # e.g. the disk is full: say so, keep serving
                print(f"warning: {exc}", file=sys.stderr, flush=True)

    def on_sigterm(self, signum: int, frame: Any) -> None:
        self.stopped.set()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            self.store.checkpoint()
        except StoreError as exc:  # the decisions stay safe in the -wal file
            print(f"warning: {exc}; copy the -wal file too", file=sys.stderr, flush=True)
        raise KeyboardInterrupt  # the server stops as it does on Ctrl+C

    def stop(self) -> None:
        self.stopped.set()


def keep_checkpointed(store: Any, every_s: float = CHECKPOINT_EVERY_S) -> Checkpoints:
    """Start checkpointing ``store`` every ``every_s`` seconds and on SIGTERM (main thread)."""
    checkpoints = Checkpoints(store, every_s)
    signal.signal(signal.SIGTERM, checkpoints.on_sigterm)
    checkpoints.thread.start()
    return checkpoints
