"""Typed errors. Every message says what is wrong, where (file, line, sample id) and what to fix.

The CLI turns any ``PerBenchError`` into one line on stderr and exit status 2.
"""

from __future__ import annotations


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
