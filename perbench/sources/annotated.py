"""Shared helpers of the source readers: error handling, JSON and restricted pickle loading.

API:
  AnnotatedReader      SourceReader base with ``skip_errors`` and a ``skips`` Counter; its items
                       (``_keys()``: image ids or files) are cut into shards of ``shard_size``
                       named ``<prefix>/00000``..., and ``_read_chunk(shard, where, make)``
                       yields ``make(key)`` for the keys of one shard, skipping or raising;
                       ``_source_image(...)`` an image file as a SourceImage of the reader;
                       ``namespace`` its shard prefix as an id part: image keys are
                       ``<namespace>-<image id>``, so two sources in one build never share one
                       (two COCO-format files both number their images from 0)
  require_fields(record, keys, where)  the record as a dict; SourceError if it lacks a key
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
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from perbench.errors import ImageError, MaskError, PerBenchError, SourceError
from perbench.sources.base import Instance, SourceImage, SourceReader, read_file_bytes

T = TypeVar("T")


class AnnotatedReader(SourceReader):
    """A reader of ``shard_size`` chunks that can skip (and count) broken images.

    Subclasses define ``prefix`` (the shard names' head), ``_keys()`` and ``read_shard``, which
    reads one shard through ``_read_chunk``.
    """

    prefix: str

    def __init__(self, skip_errors: bool = False, shard_size: int = 500):
        self.skip_errors = skip_errors
        self.shard_size = shard_size
        self.skips: Counter[str] = Counter()

    @property
    def namespace(self) -> str:
        """The shard prefix made an id part: ``coco/instances_val2017`` ->
        ``coco.instances_val2017``. Shard prefixes are unique within a build (builders refuse
        two sources with one prefix), so image keys are too."""
        return re.sub(r"[^A-Za-z0-9_.()+-]", "_", self.prefix.replace("/", "."))

    def _keys(self) -> list[Any]:
        """The items one image is made from (image ids, files), in a stable order."""
        raise NotImplementedError

    def shards(self) -> list[str]:
        return chunk_names(len(self._keys()), self.shard_size, self.prefix)

    def _read_chunk(
        self, shard: str, where: str, make: Callable[[Any], SourceImage]
    ) -> Iterator[SourceImage]:
        """``make(key)`` for each key of ``shard`` (an unknown shard is an error naming ``where``).

        An error raises, or, with ``skip_errors``, leaves the image out and counts its reason.
        """
        for key in chunk(self._keys(), shard, self.shard_size, self.prefix, where):
            try:
                image = make(key)
            except PerBenchError as exc:
                if not self.skip_errors:
                    raise
                self.skips[skip_reason(exc)] += 1
                continue
            yield image

    def _source_image(
        self,
        image_id: Any,
        file_name: str,
        path: Path,
        height: int,
        width: int,
        instances: list[Instance],
    ) -> SourceImage:
        """The image file at ``path`` as a SourceImage of this reader, keyed by its image id."""
        return SourceImage(
            key=f"{self.namespace}-{image_id}",
            file_name=file_name,
            width=width,
            height=height,
            instances=instances,
            load_bytes=read_file_bytes(path),
            dataset=self.name,
            license=self.license,
            extra={"source_image_id": image_id},
        )

    def __getstate__(self) -> dict[str, Any]:
        # Worker processes rebuild the parsed annotation index instead of receiving a copy.
        state = dict(self.__dict__)
        state["_index"] = None
        return state


def require_fields(record: Any, keys: tuple[str, ...], where: str) -> dict[str, Any]:
    """``record`` if it is a JSON object with every key; SourceError naming ``where`` if not."""
    if not isinstance(record, dict):
        raise SourceError(f"expected a JSON object, got {type(record).__name__}", where=where)
    missing = [k for k in keys if k not in record]
    if missing:
        raise SourceError(
            f"missing fields {missing}", where=where, hint="is this the upstream format?"
        )
    return record


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
