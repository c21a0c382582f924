"""Shared helpers of the source readers: error handling, JSON and restricted pickle loading.

API:
  AnnotatedReader      SourceReader base with ``skip_errors`` and a ``skips`` Counter
  load_json(path)      parsed JSON; SourceError naming the file and line when it is broken
  load_pickle(path)    a refer-toolkit pickle read by a restricted unpickler (plain data only)
  readable(name)       "dining_table" -> "dining table"
  chunk_names(count, size, prefix)  shard names of ``count`` items cut into chunks of ``size``
  chunk(items, shard, size, prefix, where)  the items of one shard made by ``chunk_names``
  sorted_ids(ids)      image ids in a stable order even when int and str ids are mixed
  skip_reason(exc)     the short reason a skipped image is counted under

A reader raises ``SourceError`` naming the file and the annotation on any broken record. With
``skip_errors=True`` it leaves the image out instead and counts the reason in ``skips``.
"""

from __future__ import annotations

import json
import pickle
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from perbench.errors import ImageError, MaskError, PerBenchError, SourceError
from perbench.sources.base import SourceImage, SourceReader

T = TypeVar("T")


class AnnotatedReader(SourceReader):
    """A reader that can skip (and count) broken images instead of stopping the build."""

    def __init__(self, skip_errors: bool = False):
        self.skip_errors = skip_errors
        self.skips: Counter[str] = Counter()

    def _guarded(self, make: Callable[[], SourceImage | None]) -> Iterator[SourceImage]:
        """Yield ``make()``; on an error raise it, or count its reason when skipping."""
        try:
            image = make()
        except PerBenchError as exc:
            if not self.skip_errors:
                raise
            self.skips[skip_reason(exc)] += 1
            return
        if image is not None:
            yield image

    def __getstate__(self) -> dict[str, Any]:
        # Worker processes rebuild the parsed annotation index instead of receiving a copy.
        state = dict(self.__dict__)
        state["_index"] = None
        return state


def skip_reason(exc: PerBenchError) -> str:
    """``missing image file``, ``broken image``, ``broken mask`` or ``broken annotation``."""
    if isinstance(exc, MaskError):
        return "broken mask"
    if isinstance(exc, ImageError) and "not found" not in str(exc):
        return "broken image"
    if "image file" in str(exc) and "not found" in str(exc):
        return "missing image file"
    return "broken annotation"


def load_json(path: str | Path) -> Any:
    """Parse a JSON file; a missing or broken file is a SourceError naming it (and the line)."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise SourceError("annotation file not found", where=str(path)) from None
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"broken JSON: {exc.msg}", where=f"{path}, line {exc.lineno} column {exc.colno}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"cannot read the annotation file: {exc}", where=str(path)) from None


class _PlainDataUnpickler(pickle.Unpickler):
    """Unpickles only built-in containers and scalars: any class or function is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(
            f"refusing to load {module}.{name}: only plain data is allowed"
        )


def load_pickle(path: str | Path) -> Any:
    """Load a refer-toolkit ``refs(*).p`` file (Python 2 or 3) with the restricted unpickler."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            return _PlainDataUnpickler(handle, encoding="utf-8").load()
    except FileNotFoundError:
        raise SourceError("refs pickle not found", where=str(path)) from None
    except (pickle.UnpicklingError, EOFError, ValueError, UnicodeDecodeError) as exc:
        raise SourceError(
            f"not a plain-data refs pickle: {exc}",
            where=str(path),
            hint="give the refs(*).p file of the refer toolkit",
        ) from None


def readable(name: str) -> str:
    """A category name as words: underscores become spaces."""
    return " ".join(name.replace("_", " ").split())


def chunk_names(count: int, size: int, prefix: str) -> list[str]:
    """``prefix/00000``, ``prefix/00001``... naming chunks of ``size`` out of ``count`` items."""
    if size <= 0:
        raise SourceError(f"shard size must be positive, got {size}")
    return [f"{prefix}/{start // size:05d}" for start in range(0, count, size)]


def chunk(items: list[T], shard: str, size: int, prefix: str, where: str) -> list[T]:
    """The items of ``shard``, a name made by ``chunk_names(len(items), size, prefix)``."""
    head, _, number = shard.rpartition("/")
    if head != prefix or not number.isdigit():
        raise SourceError(
            f"unknown shard {shard!r}", where=where, hint=f"shards look like {prefix}/00000"
        )
    start = int(number) * size
    return items[start : start + size]


def sorted_ids(ids: Iterable[Any]) -> list[Any]:
    """``ids`` sorted by type name, then value, so int and str ids never compare."""
    return sorted(ids, key=lambda i: (str(type(i)), i))
