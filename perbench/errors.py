"""Typed errors. Every message says what is wrong, where (file, line, sample id) and what to fix.

The CLI turns any ``PerBenchError`` into one line on stderr and exit status 2.
"""

from __future__ import annotations

import errno


class PerBenchError(Exception):
    """Base class of every error the suite raises on bad input or bad state."""

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        self.where = where
        self.hint = hint
        text = f"{where}: {message}" if where else message
        if hint:
            text = f"{text} ({hint})"
        super().__init__(text)


class MaskError(PerBenchError):
    """A mask that cannot be decoded: corrupt RLE counts, wrong size, bad polygon."""


class SchemaError(PerBenchError):
    """A sample whose fields do not follow the schema (names the sample id and field)."""


class StoreError(PerBenchError):
    """A candidate store that cannot be opened or written, or an unknown sample id."""


class ReleaseError(PerBenchError):
    """A release folder that is missing, altered, or would be overwritten."""


class SourceError(PerBenchError):
    """An annotated source that cannot be read: missing image, broken annotation file."""


class ImageError(SourceError):
    """An image file that cannot be decoded: truncated, not an image, or over the pixel limit."""


class SubmissionError(PerBenchError):
    """A predictions file with problems; ``problems`` lists every one found (up to a cap)."""

    def __init__(self, message: str, problems: list[str] | None = None, **kwargs):
        self.problems = list(problems or [])
        if self.problems:
            message = message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message, **kwargs)


class DependencyError(PerBenchError):
    """A needed optional dependency or data file (WordNet, Java, an extra) is absent."""


class OutputError(PerBenchError):
    """An output path the one output-path rule refuses (perbench.outputs)."""


class StorageError(PerBenchError):
    """The disk is full, or a path cannot be written (permissions, read-only file system)."""


STORAGE_ERRNOS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large for the file system or the process limit",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
}
SQLITE_STORAGE = ("disk is full", "readonly database", "unable to open", "disk I/O error")


def storage_error(exc: BaseException, where: str | None = None) -> StorageError | None:
    """A one-line StorageError for a disk-full or permission failure (``None`` for others)."""
    import sqlite3

    if isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS:
        path = exc.filename or where
        return StorageError(
            STORAGE_ERRNOS[exc.errno] + " while writing; nothing half-written was kept",
            where=str(path) if path else None,
            hint="free space or fix the folder's permissions, then rerun",
        )
    if isinstance(exc, sqlite3.Error) and any(text in str(exc) for text in SQLITE_STORAGE):
        return StorageError(
            f"the database cannot be written ({exc}); the last transaction was rolled back",
            where=where,
            hint="free space or fix the file's permissions, then rerun",
        )
    return None
