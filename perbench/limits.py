"""The size, depth and count limits of every file the suite reads, in one place.

API:
  LIMITS                         name -> Limit(default, unit, what): every limit and its default
  limit(name) -> int             the value in force
  limits_in_force(overrides)     context: the values while a command runs (``--limit NAME=N``),
                                 restored after, so one command run in-process cannot change the
                                 next one's
  parse_limit(text) -> (name, value)   "json_bytes=128M" -> ("json_bytes", 134217728)
  read_bounded(path, name, what, error) -> bytes   at most ``limit(name)`` bytes, read so that
                                 an endless file (/dev/zero, a FIFO) stops at the limit
  scan_json(data, where, error)  size, nesting depth and container count of JSON text, measured
                                 without recursion and without parsing, in chunks of ``CHUNK``
  check_count(name, count, where, error)    a count (instances of an image) against its limit
  parse_json(data, where, error) -> Any     ``scan_json``, then ``json.loads``
  scan_pickle(data, where, error)  container opcodes of a pickle (an upper bound: data bytes that
                                 look like one count too) against ``containers``
  read_json_bounded(path, what, error) -> Any     the same for a file, bounded before reading
  file_stem(text, max_chars=MAX_NAME_CHARS) -> str   a model name or image id made a safe file
                                 name part: other characters become "-", and a longer one is cut
                                 and ends in a hash of the whole (so names stay distinct and
                                 every path stays under the file system's 255 bytes a name)

Every check happens before the bytes are parsed or decoded, so a hostile file costs at most
its limit. The defaults keep every command under 1 GB of memory; a genuine bigger input (the
COCO train2017 instances file: 448 MB, 3.6 million containers) needs ``--limit``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from perbench.errors import PerBenchError

MIB = 1 << 20
CHUNK = 1 << 20
MAX_NAME_CHARS = 100


class Limit(NamedTuple):
    default: int
    unit: str
    what: str


LIMITS: dict[str, Limit] = {
    "json_bytes": Limit(
        64 * MIB, "bytes", "a JSON file (annotations, STBench, manifests, results)"
    ),
    "json_depth": Limit(100, "levels", "nesting of arrays and objects in any JSON text"),
    "containers": Limit(
        1_000_000,
        "containers",
        "arrays and objects of a JSON text, or lists, dicts, tuples and sets of a pickle",
    ),
    "pickle_bytes": Limit(64 * MIB, "bytes", "a refs pickle (RefCOCO)"),
    "table_bytes": Limit(64 * MIB, "bytes", "a VLMEvalKit predictions file (xlsx, tsv, csv)"),
    "key_bytes": Limit(64 * 1024, "bytes", "a signing key or a manifest.json.sig file"),
    "image_pixels": Limit(40_000_000, "pixels", "one decoded image (width * height)"),
    "instances_per_image": Limit(2_000, "instances", "annotated instances of one source image"),
    "polygon_vertices": Limit(1_000_000, "vertices", "all polygons of one mask or prediction"),
    "polygon_parts": Limit(10_000, "polygons", "polygons of one mask or prediction"),
    "shards": Limit(10_000, "shards", "shards of a sharded evaluation (--shard i/n)"),
    "fraction_digits": Limit(2_000, "digits", "numerator or denominator in a partial file"),
}
_IN_FORCE: dict[str, int] = {name: spec.default for name, spec in LIMITS.items()}
_SUFFIXES = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def limit(name: str) -> int:
    return _IN_FORCE[name]


@contextmanager
def limits_in_force(overrides: dict[str, int | None]) -> Iterator[None]:
    """Apply ``overrides`` (None keeps a value) inside the block; every value must be >= 1."""
    for name, value in overrides.items():
        if name not in LIMITS:
            raise PerBenchError(f"unknown limit {name!r}", hint=f"one of {', '.join(LIMITS)}")
        if value is not None and value < 1:
            raise PerBenchError(f"the limit {name} must be positive, got {value}")
    previous = dict(_IN_FORCE)
    _IN_FORCE.update({name: int(value) for name, value in overrides.items() if value is not None})
    try:
        yield
    finally:
        _IN_FORCE.clear()
        _IN_FORCE.update(previous)


def parse_limit(text: str) -> tuple[str, int]:
    """``NAME=N`` with an optional K, M or G suffix (powers of 1024)."""
    name, _, value = text.partition("=")
    name = name.strip().replace("-", "_")
    if name not in LIMITS:
        raise PerBenchError(
            f"unknown limit {name!r} in --limit {text}", hint=f"one of {', '.join(LIMITS)}"
        )
    value = value.strip().upper()
    scale = _SUFFIXES.get(value[-1:], 1)
    digits = value[:-1] if scale > 1 else value
    if not digits.isdigit() or int(digits) < 1:
        raise PerBenchError(f"--limit {text}: the value must be a positive whole number (K, M, G)")
    return name, int(digits) * scale


def _too_big(name: str, found: str, where: str, error: type[PerBenchError]) -> PerBenchError:
    return error(
        f"{LIMITS[name].what}: {found}, over the limit {limit(name):,} {LIMITS[name].unit}",
        where=where,
        hint=f"raise it with --limit {name}=N if the file is genuine",
    )


def read_bounded(
    path: str | Path, name: str, what: str, error: type[PerBenchError] = PerBenchError
) -> bytes:
    """The bytes of ``path``, refused (``error``) once they pass ``limit(name)``."""
    cap = limit(name)
    try:
        with open(path, "rb") as handle:
            data = handle.read(cap + 1)
    except FileNotFoundError:
        raise error(f"{what} not found", where=str(path)) from None
    except IsADirectoryError:
        raise error(f"{what} is a folder, not a file", where=str(path)) from None
    if len(data) > cap:
        raise _too_big(name, f"more than {cap:,} bytes", str(path), error)
    return data


def scan_json(data: bytes, where: str, error: type[PerBenchError] = PerBenchError) -> None:
    """Refuse JSON text over the size, depth or container limits, before any parsing.

    Brackets inside strings do not count. The scan agrees with a JSON parser up to the first
    character the parser would refuse, so the parser never goes deeper than the scan found.
    """
    if len(data) > limit("json_bytes"):
        raise _too_big("json_bytes", f"{len(data):,} bytes", where, error)
    array = np.frombuffer(data, dtype=np.uint8)
    in_string = backslashes = depth = deepest = containers = 0
    for start in range(0, array.size, CHUNK):
        chars = array[start : start + CHUNK]
        positions = np.arange(chars.size)
        is_backslash = chars == 92
        last_other = np.maximum.accumulate(np.where(is_backslash, -1, positions))
        run = positions - last_other + np.where(last_other < 0, backslashes, 0)
        before = np.concatenate(([backslashes], run[:-1]))
        quotes = (chars == 34) & (before % 2 == 0)
        inside = (np.cumsum(quotes) + in_string) % 2 == 1
        outside = ~inside & ~quotes
        opens = ((chars == 91) | (chars == 123)) & outside
        closes = ((chars == 93) | (chars == 125)) & outside
        levels = np.cumsum(opens.astype(np.int64) - closes) + depth
        deepest = max(deepest, int(levels.max()))
        containers += int(opens.sum())
        depth, in_string, backslashes = int(levels[-1]), int(inside[-1]), int(run[-1])
        if deepest > limit("json_depth"):
            raise _too_big("json_depth", f"more than {limit('json_depth')} levels", where, error)
        if containers > limit("containers"):
            raise _too_big("containers", f"more than {limit('containers'):,}", where, error)


_PICKLE_CONTAINER_OPCODES = np.frombuffer(b"]})(\x8f", dtype=np.uint8)


def scan_pickle(data: bytes, where: str, error: type[PerBenchError] = PerBenchError) -> None:
    """Refuse a pickle that could build more than ``containers`` lists, dicts, tuples, sets."""
    array = np.frombuffer(data, dtype=np.uint8)
    count = 0
    for start in range(0, array.size, CHUNK):
        count += int(np.isin(array[start : start + CHUNK], _PICKLE_CONTAINER_OPCODES).sum())
    if count > limit("containers"):
        raise _too_big("containers", f"up to {count:,} containers", where, error)


def parse_json(data: bytes | str, where: str, error: type[PerBenchError] = PerBenchError) -> Any:
    """JSON text parsed after ``scan_json``; bad JSON is ``error`` naming the line."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    scan_json(raw, where, error)
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise error(
            f"not valid JSON: {exc.msg}", where=f"{where}, line {exc.lineno} column {exc.colno}"
        ) from None
    except UnicodeDecodeError as exc:
        raise error(f"not valid JSON: not UTF-8 text ({exc.reason})", where=where) from None


def read_json_bounded(
    path: str | Path, what: str, error: type[PerBenchError] = PerBenchError
) -> Any:
    """``parse_json`` of a file read through ``read_bounded`` (``json_bytes``)."""
    return parse_json(read_bounded(path, "json_bytes", what, error), str(path), error)


def file_stem(text: str, max_chars: int = MAX_NAME_CHARS) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")
    if len(safe) <= max_chars:
        return safe
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{safe[: max_chars - 17]}-{digest}"


def check_count(
    name: str, count: int, where: str, error: type[PerBenchError] = PerBenchError
) -> None:
    """``error`` naming ``where`` when ``count`` is over ``limit(name)``."""
    if count > limit(name):
        raise _too_big(name, f"{count:,}", where, error)
