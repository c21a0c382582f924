"""Checks that make a mask safe before pycocotools' C code sees it (hostile input never crashes).

API:
  MAX_MASK_PIXELS                  largest mask, h * w (2**29 - 1: every run delta fits the six
                                   characters pycocotools' C reader decodes exactly)
  check_size(size, where) -> (h, w)        two positive ints, at most MAX_MASK_PIXELS pixels
  scan_counts(counts, h, w, where)         compressed counts (bytes), checked while parsed
  runs_to_counts(runs) -> str              COCO's compressed string of run lengths
  clean_runs(counts, h, w, where) -> list  uncompressed counts checked, zero runs merged away
  clip_polygon(polygon, h, w, where) -> list[float]   finite, in range, clipped to the image

Compressed counts are parsed in chunks of ``CHUNK`` characters, so memory stays flat whatever
their length: the alphabet ('0'..'o'), numbers of at most ``MAX_DIGITS`` characters, a string
that ends on a whole number, no negative run, no zero-length run after the first (pycocotools'
merge overflows its heap on them), and runs that sum to exactly h * w. A string longer than
``MAX_DIGITS * (h * w + 1)`` characters cannot be valid and is refused before any parsing.
Polygon coordinates must be finite and within ``POLYGON_RANGE`` image sizes (at least 64
pixels) of the origin; they
are clipped to the image grown by its own size on every side (a polygon inside that box is passed
on untouched, so its pixels are exactly pycocotools'), and the perimeter is bounded
(``MAX_PERIMETER``) so rasterising cannot exhaust memory.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from perbench.errors import MaskError

MAX_MASK_PIXELS = 2**29 - 1
MAX_DIGITS = 6
CHUNK = 1 << 20
POLYGON_RANGE = 16
MAX_PERIMETER = 4_000_000


def check_size(rle_size: Any, where: str | None) -> tuple[int, int]:
    """``(height, width)`` of an RLE ``size``: two positive ints, at most MAX_MASK_PIXELS."""
    if (
        not isinstance(rle_size, (list, tuple))
        or len(rle_size) != 2
        or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in rle_size)
        or min(rle_size) < 1
    ):
        raise MaskError(
            f"RLE 'size' must be [height, width] of positive ints, got {rle_size!r}", where=where
        )
    height, width = int(rle_size[0]), int(rle_size[1])
    if height * width > MAX_MASK_PIXELS:
        raise MaskError(
            f"mask size {height}x{width} is too large: at most {MAX_MASK_PIXELS} pixels",
            where=where,
        )
    return height, width


def _numbers(chars: np.ndarray) -> np.ndarray:
    """The signed numbers of a chunk of counts characters that ends on a whole number."""
    ends = np.flatnonzero((chars & 0x20) == 0)
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts + 1
    if lengths.max() > MAX_DIGITS:
        raise ValueError(f"a number longer than {MAX_DIGITS} characters")
    group = np.repeat(np.arange(ends.size), lengths)
    position = np.arange(chars.size) - starts[group]
    values = np.zeros(ends.size, dtype=np.int64)
    np.add.at(values, group, (chars & 0x1F) << (5 * position))
    negative = (chars[ends] & 0x10) != 0
    values[negative] -= np.int64(1) << (5 * lengths[negative])
    return values


def scan_counts(counts: bytes, height: int, width: int, where: str | None) -> None:
    """Raise MaskError unless ``counts`` is a valid compressed RLE of an (h, w) mask."""
    pixels = height * width
    if len(counts) > MAX_DIGITS * (pixels + 1):
        raise MaskError(
            f"corrupt RLE counts: {len(counts)} characters cannot describe {pixels} pixels",
            where=where,
        )
    data = np.frombuffer(counts, dtype=np.uint8)
    total = index = 0
    carry = [0, 0]  # last run of the even and odd positions >= 1
    start = 0
    while start < data.size:
        stop = min(start + CHUNK, data.size)
        chars = data[start:stop].astype(np.int64) - 48
        if chars.min() < 0 or chars.max() > 63:
            raise MaskError(
                "corrupt RLE counts: characters outside the RLE alphabet ('0'..'o')", where=where
            )
        ends = np.flatnonzero((chars & 0x20) == 0)
        if ends.size == 0 or (stop == data.size and ends[-1] != chars.size - 1):
            raise MaskError("corrupt RLE counts: they end in the middle of a number", where=where)
        chars = chars[: ends[-1] + 1]
        start += chars.size
        try:
            values = _numbers(chars)
        except ValueError as exc:
            raise MaskError(f"corrupt RLE counts: {exc}", where=where) from None
        if np.abs(values).max() > pixels:
            raise MaskError("corrupt RLE counts: a run is longer than the mask", where=where)
        positions = index + np.arange(values.size)
        runs = values.copy()
        for parity in (0, 1):
            chosen = (positions % 2 == parity) & (positions >= 1)
            if chosen.any():
                runs[chosen] = np.cumsum(values[chosen]) + carry[parity]
                carry[parity] = int(runs[chosen][-1])
        if runs.min() < 0:
            raise MaskError("corrupt RLE counts: a run length is negative", where=where)
        if (runs[positions >= 1] == 0).any():
            raise MaskError(
                "corrupt RLE counts: a zero-length run after the first one", where=where
            )
        total += int(runs.sum())
        index += values.size
        if total > pixels:
            break
    if total != pixels:
        covered = f"{total}" if total < pixels else f"more than {pixels}"
        raise MaskError(
            f"corrupt RLE counts: runs cover {covered} pixels, the size {height}x{width} has "
            f"{pixels}",
            where=where,
        )


def runs_to_counts(runs: list[int]) -> str:
    """COCO's compressed string (pycocotools ``rleToString``) of run lengths."""
    out = []
    for position, run in enumerate(runs):
        value = run - runs[position - 2] if position > 2 else run
        more = True
        while more:
            char = value & 0x1F
            value >>= 5
            more = value != -1 if char & 0x10 else value != 0
            out.append(chr(char + (0x20 if more else 0) + 48))
    return "".join(out)


def clean_runs(counts: list, height: int, width: int, where: str | None) -> list[int]:
    """Uncompressed counts as runs without zero-length runs after the first (merged away)."""
    if not all(isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in counts):
        raise MaskError("uncompressed RLE counts must be non-negative ints", where=where)
    if any(c < 0 for c in counts):
        raise MaskError("uncompressed RLE counts must be non-negative ints", where=where)
    if sum(counts) != height * width:
        raise MaskError(
            f"uncompressed RLE counts sum to {sum(counts)}, size {height}x{width} needs "
            f"{height * width}",
            where=where,
        )
    runs = [int(counts[0])]
    continues = False  # a zero-length run: the next run continues the one before it
    for count in counts[1:]:
        if count == 0:
            continues = not continues
        elif continues:
            runs[-1] += int(count)
            continues = False
        else:
            runs.append(int(count))
    return runs


def _clip(points: list[tuple[float, float]], axis: int, limit: float, keep_below: bool):
    """Sutherland-Hodgman against one edge ``coordinate[axis] <= limit`` (or ``>=``)."""

    def inside(point: tuple[float, float]) -> bool:
        return point[axis] <= limit if keep_below else point[axis] >= limit

    clipped: list[tuple[float, float]] = []
    for index, current in enumerate(points):
        previous = points[index - 1]
        if inside(current) != inside(previous):
            t = (limit - previous[axis]) / (current[axis] - previous[axis])
            crossing = (
                previous[0] + t * (current[0] - previous[0]),
                previous[1] + t * (current[1] - previous[1]),
            )
            clipped.append(crossing)
        if inside(current):
            clipped.append(current)
    return clipped


def clip_polygon(polygon: Any, height: int, width: int, where: str | None) -> list[float]:
    """A flat ``[x0, y0, ...]`` polygon clipped to the grown image; ``[]`` when nothing is left."""
    if not isinstance(polygon, (list, tuple)) or not all(
        isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        for v in polygon
    ):
        raise MaskError("a polygon must be a flat list of numbers", where=where)
    if len(polygon) % 2 or len(polygon) < 6:
        raise MaskError(
            f"a polygon has {len(polygon)} numbers; needs an even count >= 6 (3 points)",
            where=where,
        )
    values = np.asarray(polygon, dtype=np.float64)
    reach = POLYGON_RANGE * max(height, width, 64)
    if not np.isfinite(values).all() or np.abs(values).max() > reach:
        raise MaskError(
            f"polygon coordinates must be finite numbers within {reach} of the image "
            f"({width}x{height})",
            where=where,
        )
    points = [(float(x), float(y)) for x, y in values.reshape(-1, 2)]
    for axis, low, high in ((0, -width, 2.0 * width), (1, -height, 2.0 * height)):
        points = _clip(points, axis, low, keep_below=False) if points else points
        points = _clip(points, axis, high, keep_below=True) if points else points
    if len(points) < 3:
        return []
    flat = np.asarray(points).reshape(-1)
    steps = np.abs(np.diff(np.vstack([flat.reshape(-1, 2), flat[:2]]), axis=0)).max(axis=1)
    if steps.sum() > MAX_PERIMETER:
        raise MaskError(
            f"polygon perimeter {steps.sum():.0f} pixels exceeds {MAX_PERIMETER}", where=where
        )
    return [float(v) for v in flat]
