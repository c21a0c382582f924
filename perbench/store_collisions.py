"""A collision in the candidate store is an error, never a silent overwrite.

API:
  check_collisions(conn, images, rows, shard, where)   StoreError naming both sources when an
      image id already holds other bytes, or a sample id already belongs to another shard

``images`` maps image id -> (file name, bytes) and ``rows`` are the candidate rows
``(id, task, image_id, payload, shard, created_at)`` about to be written. Re-writing the same
image bytes, or a sample of the same shard (a resumed build redoing a shard), is no collision.
Image ids are namespaced per source (``perbench.sources.annotated``), so two sources of one
build never meet here; two builds written into one store, or a reader that breaks the rule, do.
"""

from __future__ import annotations

import sqlite3

from perbench.errors import StoreError


def _origin(conn: sqlite3.Connection, image_id: str) -> str:
    row = conn.execute(
        "SELECT shard FROM candidates WHERE image_id = ? AND shard IS NOT NULL LIMIT 1",
        (image_id,),
    ).fetchone()
    return f"shard {row[0]}" if row else "an earlier write"


def check_collisions(
    conn: sqlite3.Connection,
    images: dict[str, tuple[str, bytes]],
    rows: list[tuple],
    shard: str | None,
    where: str,
) -> None:
    for image_id, (name, data) in images.items():
        held = conn.execute(
            "SELECT file_name, data FROM images WHERE image_id = ?", (image_id,)
        ).fetchone()
        if held is not None and bytes(held[1]) != data:
            raise StoreError(
                f"image id {image_id!r} of {name} (shard {shard}) is already in the store with "
                f"other bytes, from {held[0]} ({_origin(conn, image_id)}): two sources share "
                "image ids",
                where=where,
                hint="give each source once per build, and build each store from one command",
            )
    for sample_id, *_, sample_shard, _created in rows:
        held = conn.execute("SELECT shard FROM candidates WHERE id = ?", (sample_id,)).fetchone()
        if held is not None and held[0] != sample_shard:
            raise StoreError(
                f"sample id {sample_id!r} of shard {sample_shard} already belongs to shard "
                f"{held[0]}: two sources give one sample id",
                where=where,
                hint="give each source once per build, and build each store from one command",
            )
