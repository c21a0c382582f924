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
  require_fields(record, keys, where, kinds=None)  the record as a dict; SourceError if it
                       lacks a key or a field in ``kinds`` is not of its kind (``FIELD_KINDS``)
  NAMED, IMAGE_FIELDS, ANN_FIELDS, LISTS   the kinds of the COCO-format fields
  load_json(path)      parsed JSON within ``perbench.limits``; SourceError naming the file and
                       line when it is broken
  load_pickle(path)    a refer-toolkit pickle (at most ``pickle_bytes``) read by a restricted
                       unpickler (plain data only)
  readable(name)       "dining_table" -> "dining table"
  chunk_names(count, size, prefix)  shard names of ``count`` items cut into chunks of ``size``
  chunk(items, shard, size, prefix, where)  the items of one shard made by ``chunk_names``
  sorted_ids(ids)      image ids in a stable order even when int and str ids are mixed
  id_order(id)         the sort key ``sorted_ids`` uses
  skip_reason(exc)     the short reason a skipped image is counted under

A reader raises ``SourceError`` naming the file and the annotation on any broken record. With
``skip_errors=True`` it leaves the image out instead and counts the reason in ``skips``.
"""

from __future__ import annotations

import io
import pickle
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from perbench.errors import ImageError, MaskError, PerBenchError, SourceError
from perbench.limits import read_bounded, read_json_bounded, scan_pickle
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


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


FIELD_KINDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "id": (lambda v: _is_int(v) or (isinstance(v, str) and len(v) <= 256), "an int or a string"),
    "size": (lambda v: _is_int(v) and 1 <= v <= 1 << 20, "a whole number of pixels, 1..2**20"),
    "text": (lambda v: isinstance(v, str), "a string"),
    "list": (lambda v: isinstance(v, list), "a list"),
    "segment": (lambda v: _is_int(v) and 0 < v < 1 << 24, "a panoptic id (R + 256 G + 65536 B)"),
    "score": (
        lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1,
        "a number in [0, 1]",
    ),
}


NAMED = {"id": "id", "name": "text"}
IMAGE_FIELDS = {"id": "id", "height": "size", "width": "size", "file_name": "text"}
ANN_FIELDS = {"id": "id", "image_id": "id", "category_id": "id"}
LISTS = {"images": "list", "annotations": "list", "categories": "list"}


def require_fields(
    record: Any, keys: tuple[str, ...], where: str, kinds: dict[str, str] | None = None
) -> dict[str, Any]:
    """``record`` if it is a JSON object with every key, each field named in ``kinds`` (when
    present) of its kind in ``FIELD_KINDS``; SourceError naming ``where`` and the field if not."""
    if not isinstance(record, dict):
        raise SourceError(f"expected a JSON object, got {type(record).__name__}", where=where)
    missing = [k for k in keys if k not in record]
    if missing:
        raise SourceError(
            f"missing fields {missing}", where=where, hint="is this the upstream format?"
        )
    for key, kind in (kinds or {}).items():
        accepts, description = FIELD_KINDS[kind]
        if key in record and not accepts(record[key]):
            shown = repr(record[key])
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            raise SourceError(f"'{key}' must be {description}, got {shown}", where=where)
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
    try:
        return read_json_bounded(path, "annotation file", SourceError)
    except OSError as exc:
        raise SourceError(f"cannot read the annotation file: {exc}", where=str(path)) from None


class _PlainDataUnpickler(pickle.Unpickler):
    """Unpickles only built-in containers and scalars: any class or function is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(
            f"refusing to load {module}.{name}: only plain data is allowed"
        )


def load_pickle(path: str | Path) -> Any:
    """Load a refer-toolkit ``refs(*).p`` file (Python 2 or 3) with the restricted unpickler."""
    data = read_bounded(path, "pickle_bytes", "refs pickle", SourceError)
    scan_pickle(data, str(path), SourceError)
    try:
        return _PlainDataUnpickler(io.BytesIO(data), encoding="utf-8").load()
    except MemoryError:
        # the C unpickler allocates a BINBYTES8/BINUNICODE8 item at its stated length before
        # reading it; a length beyond the (bounded) file cannot be genuine
        raise SourceError(
            f"not a plain-data refs pickle: an item claims more than the file's {len(data)} bytes",
            where=str(path),
        ) from None
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
    return sorted(ids, key=id_order)


def id_order(value: Any) -> tuple[str, Any]:
    """A sort key under which int and str ids never compare with each other."""
    return (str(type(value)), value)
