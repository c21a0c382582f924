"""Each reviewer's filter choices, kept beside the candidate store so that a reload restores them.

API:
  places_dir(store_path) -> Path            ``<store>.review-places/``, a folder beside the store
  SavedFilters(store_path)
    .load(reviewer) -> dict[str, str] | None  the saved choices (None: nothing saved yet)
    .save(reviewer, choices)                  replace the reviewer's file atomically

One small JSON per reviewer, ``<store>.review-places/<reviewer, %-quoted>.json``:
``{"filters": {"task", "status", "category", "reviewer"}, "saved_at": ISO time}``. A save writes
a temporary file in the same folder, fsyncs it and ``os.replace``s the old one, so a killed app
leaves the old choices or the new ones, never half a file. The candidate store is never touched:
its decision log stays the only record of decisions, and these files only say what a reviewer
was looking at.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from perbench.errors import PerBenchError

PLACES_SUFFIX = ".review-places"
FILTER_FIELDS = ("task", "status", "category", "reviewer")


class PlacesError(PerBenchError):
    """A reviewer's saved filters that cannot be read or written."""


def places_dir(store_path: str | Path) -> Path:
    path = Path(store_path)
    return path.with_name(path.name + PLACES_SUFFIX)


class SavedFilters:
    """The saved filter choices of every reviewer of one candidate store."""

    def __init__(self, store_path: str | Path):
        self.folder = places_dir(store_path)

    def path(self, reviewer: str) -> Path:
        # quoting removes "/"; the suffix keeps "." and ".." from naming a folder
        return self.folder / f"{quote(reviewer, safe='')}.json"

    def load(self, reviewer: str) -> dict[str, str] | None:
        """The reviewer's saved choices, or None when none were saved."""
        path = self.path(reviewer)
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise PlacesError(
                f"cannot read the saved filters: {exc}", where=str(path), hint="delete the file"
            ) from None
        filters = saved.get("filters") if isinstance(saved, dict) else None
        if not isinstance(filters, dict):
            raise PlacesError(
                "saved filters lack a 'filters' object", where=str(path), hint="delete the file"
            )
        return {name: str(filters[name]) for name in FILTER_FIELDS if name in filters}

    def save(self, reviewer: str, choices: dict[str, str]) -> None:
        """Write the reviewer's choices (the four filter fields) in one atomic replace."""
        path = self.path(reviewer)
        record = {
            "filters": {name: choices[name] for name in FILTER_FIELDS},
            "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        temporary = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(record, file, indent=1)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except OSError as exc:
            if temporary is not None and os.path.exists(temporary):
                os.unlink(temporary)
            raise PlacesError(f"cannot save the filters: {exc}", where=str(path)) from None
