"""Mask codec: COCO compressed RLE is the one in-memory and on-disk form of every mask.

API (RLE = ``{"size": [h, w], "counts": "<ascii>"}``, Fortran order, as pycocotools makes it):
  encode(mask)                 -> RLE        mask: (H, W) bool/uint8, nonzero = inside
  decode(rle)                  -> (H, W) uint8 of 0/1
  to_rle(obj, height, width)   -> RLE        from compressed/uncompressed RLE, polygons, arrays
  check_rle(rle, size)         -> RLE        validate structure and counts (MaskError if bad)
  read_png_mask(path, value)   -> RLE        a PNG mask file (nonzero, or pixels == value)
  empty_rle(h, w), full_rle(h, w), union_rle(rles, h, w)
  area(rle), intersection_area(a, b), union_area(a, b), iou(a, b, empty_iou=1.0), bbox(rle)

Abbreviations: RLE run-length encoding, I intersection area, U union area, IoU = I / U.
Areas are computed on the run lengths (pycocotools C code) without decoding to dense arrays.
Two empty masks have IoU ``empty_iou`` (1.0 by default), never NaN.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pycocotools import mask as coco_mask

from perbench.errors import MaskError

RLE = dict[str, Any]


def encode(mask: np.ndarray) -> RLE:
    """Encode a dense mask ``(H, W)`` (bool or integer, nonzero = inside) to compressed RLE."""
    array = np.asarray(mask)
    if array.ndim != 2:
        raise MaskError(f"a mask must be 2-D (H, W), got shape {array.shape}")
    rle = coco_mask.encode(np.asfortranarray(array != 0, dtype=np.uint8))
    return {"size": [int(array.shape[0]), int(array.shape[1])], "counts": rle["counts"].decode()}


def decode(rle: RLE) -> np.ndarray:
    """Decode a compressed RLE to a dense ``(H, W) uint8`` array of 0/1."""
    return coco_mask.decode(_c_rle(rle))


def empty_rle(height: int, width: int) -> RLE:
    """The RLE of an all-zero ``(height, width)`` mask (a valid mask of area 0)."""
    return encode(np.zeros((height, width), dtype=np.uint8))


def full_rle(height: int, width: int) -> RLE:
    """The RLE of an all-one ``(height, width)`` mask."""
    return encode(np.ones((height, width), dtype=np.uint8))


def _c_rle(rle: RLE) -> dict[str, Any]:
    counts = rle["counts"]
    return {
        "size": list(rle["size"]),
        "counts": counts.encode() if isinstance(counts, str) else counts,
    }


def _decode_counts(counts: bytes) -> np.ndarray:
    """Run lengths from COCO's compressed counts string (vectorised ``rleFrString``)."""
    chars = np.frombuffer(counts, dtype=np.uint8).astype(np.int64) - 48
    if chars.size == 0:
        return np.zeros(0, dtype=np.int64)
    if chars.min() < 0 or chars.max() > 63:
        raise ValueError("counts contain characters outside the RLE alphabet ('0'..'o')")
    ends = np.flatnonzero((chars & 0x20) == 0)
    if ends.size == 0 or ends[-1] != chars.size - 1:
        raise ValueError("counts end in the middle of a number")
    starts = np.concatenate(([0], ends[:-1] + 1))
    group = np.repeat(np.arange(ends.size), ends - starts + 1)
    position = np.arange(chars.size) - starts[group]
    if position.max() > 11:
        raise ValueError("counts hold a number too large for a mask")
    values = np.bincount(group, weights=(chars & 0x1F) << (5 * position)).astype(np.int64)
    negative = (chars[ends] & 0x10) != 0
    values[negative] -= np.int64(1) << (5 * (position[ends[negative]] + 1))
    runs = values.copy()
    runs[3::2] = np.cumsum(values[1::2])[1:] if values.size > 3 else runs[3::2]
    runs[4::2] = np.cumsum(values[2::2])[1:] if values.size > 4 else runs[4::2]
    return runs


# pycocotools stores run lengths and areas as 32-bit unsigned ints
MAX_PIXELS = 2**32 - 1


def _check_size(rle_size: Any, where: str | None) -> tuple[int, int]:
    """``(height, width)`` of an RLE ``size``: two positive ints, at most ``MAX_PIXELS`` pixels."""
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
    if height * width > MAX_PIXELS:
        raise MaskError(
            f"mask size {height}x{width} is too large: pycocotools counts at most {MAX_PIXELS} "
            "pixels",
            where=where,
        )
    return height, width


def check_rle(
    rle: Any, size: tuple[int, int] | list[int] | None = None, where: str | None = None
) -> RLE:
    """Validate a compressed RLE and return it with ``counts`` as ``str``.

    Checks the keys, the size (and that it equals ``size`` = (h, w) when given), the counts
    alphabet, that no run is negative, and that the runs cover exactly ``h * w`` pixels.
    """
    if not isinstance(rle, dict) or "size" not in rle or "counts" not in rle:
        raise MaskError("a mask must be an RLE object with 'size' and 'counts'", where=where)
    height, width = _check_size(rle["size"], where)
    if size is not None and (height, width) != (int(size[0]), int(size[1])):
        raise MaskError(
            f"mask size {height}x{width} (h x w) differs from the image size {size[0]}x{size[1]}",
            where=where,
            hint="predict masks at the original image resolution",
        )
    counts = rle["counts"]
    if isinstance(counts, list):
        return check_rle(to_rle(rle, height, width, where=where), size, where)
    if isinstance(counts, bytes):
        try:
            counts = counts.decode("ascii")
        except UnicodeDecodeError:
            raise MaskError("RLE counts are not ASCII", where=where) from None
    if not isinstance(counts, str):
        raise MaskError(f"RLE counts must be a string, got {type(counts).__name__}", where=where)
    try:
        runs = _decode_counts(counts.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise MaskError(f"corrupt RLE counts: {exc}", where=where) from None
    if runs.size and runs.min() < 0:
        raise MaskError("corrupt RLE counts: a run length is negative", where=where)
    if int(runs.sum()) != height * width:
        raise MaskError(
            f"corrupt RLE counts: runs cover {int(runs.sum())} pixels, the size {height}x{width} "
            f"has {height * width}",
            where=where,
        )
    return {"size": [height, width], "counts": counts}


def to_rle(
    obj: Any, height: int | None = None, width: int | None = None, where: str | None = None
) -> RLE:
    """Convert any accepted mask form to compressed RLE.

    Accepted: compressed RLE (counts str/bytes), uncompressed RLE (counts a list of ints),
    polygons (a list of flat ``[x0, y0, x1, y1, ...]`` lists; needs height and width),
    and dense arrays ``(H, W)``.
    """
    if isinstance(obj, np.ndarray):
        rle = encode(obj)
    elif isinstance(obj, dict) and isinstance(obj.get("counts"), list):
        counts = obj["counts"]
        rows, columns = _check_size(obj.get("size"), where)
        if not all(isinstance(c, (int, np.integer)) and c >= 0 for c in counts):
            raise MaskError("uncompressed RLE counts must be non-negative ints", where=where)
        if sum(counts) != rows * columns:
            raise MaskError(
                f"uncompressed RLE counts sum to {sum(counts)}, size {rows}x{columns} needs "
                f"{rows * columns}",
                where=where,
            )
        c_rle = coco_mask.frPyObjects({"size": [rows, columns], "counts": counts}, rows, columns)
        rle = {"size": [rows, columns], "counts": c_rle["counts"].decode()}
    elif isinstance(obj, dict):
        rle = check_rle(obj, where=where)
    elif isinstance(obj, list):
        rle = _polygons_to_rle(obj, height, width, where)
    else:
        raise MaskError(f"cannot read a mask from a {type(obj).__name__}", where=where)
    if height is not None and width is not None and tuple(rle["size"]) != (height, width):
        raise MaskError(
            f"mask size {rle['size'][0]}x{rle['size'][1]} differs from the image size "
            f"{height}x{width}",
            where=where,
        )
    return rle


def _polygons_to_rle(
    polygons: list, height: int | None, width: int | None, where: str | None
) -> RLE:
    if height is None or width is None:
        raise MaskError("polygons need the image height and width", where=where)
    if not polygons:
        return empty_rle(height, width)
    cleaned = []
    for index, polygon in enumerate(polygons):
        if not isinstance(polygon, (list, tuple)) or not all(
            isinstance(v, (int, float)) and np.isfinite(v) for v in polygon
        ):
            raise MaskError(f"polygon {index} must be a flat list of finite numbers", where=where)
        if len(polygon) % 2 or len(polygon) < 6:
            raise MaskError(
                f"polygon {index} has {len(polygon)} numbers; needs an even count >= 6 (3 points)",
                where=where,
            )
        cleaned.append([float(v) for v in polygon])
    merged = coco_mask.merge(coco_mask.frPyObjects(cleaned, height, width))
    return {"size": [height, width], "counts": merged["counts"].decode()}


def read_png_mask(path: str | Path, value: int | None = None) -> RLE:
    """Read a PNG mask: nonzero pixels (or pixels equal to ``value``) are inside.

    RGB PNGs are read as COCO panoptic ids (R + 256*G + 256**2*B).
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            array = np.asarray(image)
    except FileNotFoundError:
        raise MaskError("mask file not found", where=str(path)) from None
    except (UnidentifiedImageError, OSError) as exc:
        raise MaskError(f"cannot read the mask image: {exc}", where=str(path)) from None
    if array.ndim == 3 and array.shape[2] < 3:
        array = array[..., 0]  # grey + alpha: the grey channel is the mask
    elif array.ndim == 3:
        rgb = array[..., :3].astype(np.int64)
        array = rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]
    return encode(array == value if value is not None else array != 0)


def area(rle: RLE) -> int:
    """Number of pixels inside the mask."""
    return int(coco_mask.area(_c_rle(rle)))


def union_rle(rles: list[RLE], height: int, width: int) -> RLE:
    """The union of ``rles``; the empty mask of ``(height, width)`` when there are none."""
    if not rles:
        return empty_rle(height, width)
    for rle in rles:
        _require_same_size(rle, {"size": [height, width]})
    if len(rles) == 1:
        return {"size": list(rles[0]["size"]), "counts": _str_counts(rles[0]["counts"])}
    merged = coco_mask.merge([_c_rle(r) for r in rles], intersect=0)
    return {"size": [int(v) for v in merged["size"]], "counts": merged["counts"].decode()}


def _str_counts(counts: str | bytes) -> str:
    return counts.decode() if isinstance(counts, bytes) else counts


def _require_same_size(a: RLE, b: RLE) -> None:
    if list(a["size"]) != list(b["size"]):
        raise MaskError(f"masks of different sizes cannot be compared: {a['size']} vs {b['size']}")
    if 0 in list(a["size"]):
        # pycocotools' merge crashes the interpreter on a zero-sized mask
        raise MaskError(f"a mask of size {a['size']} has no pixels")


def intersection_area(a: RLE, b: RLE) -> int:
    """Pixels inside both masks."""
    _require_same_size(a, b)
    return int(coco_mask.area(coco_mask.merge([_c_rle(a), _c_rle(b)], intersect=1)))


def union_area(a: RLE, b: RLE) -> int:
    """Pixels inside either mask."""
    _require_same_size(a, b)
    return int(coco_mask.area(coco_mask.merge([_c_rle(a), _c_rle(b)], intersect=0)))


def intersection_and_union(a: RLE, b: RLE) -> tuple[int, int]:
    """``(I, U)`` in one call; U = area(a) + area(b) - I (exact integers)."""
    _require_same_size(a, b)
    ca, cb = _c_rle(a), _c_rle(b)
    inter = int(coco_mask.area(coco_mask.merge([ca, cb], intersect=1)))
    areas = coco_mask.area([ca, cb])
    return inter, int(areas[0]) + int(areas[1]) - inter


def iou(a: RLE, b: RLE, empty_iou: float = 1.0) -> float:
    """I / U; ``empty_iou`` when both masks are empty (pycocotools would say 0)."""
    inter, union = intersection_and_union(a, b)
    return empty_iou if union == 0 else inter / union


def bbox(rle: RLE) -> list[float]:
    """``[x, y, w, h]`` of the mask's bounding box (zeros for an empty mask)."""
    return [float(v) for v in coco_mask.toBbox(_c_rle(rle))]
