"""Mask codec: COCO compressed RLE is the one in-memory and on-disk form of every mask.

API (RLE = ``{"size": [h, w], "counts": "<ascii>"}``, Fortran order, as pycocotools makes it):
  encode(mask)                 -> RLE        mask: (H, W) bool/uint8, nonzero = inside
  decode(rle)                  -> (H, W) uint8 of 0/1
  to_rle(obj, height, width)   -> RLE        from compressed/uncompressed RLE, polygons, arrays
  check_rle(rle, size)         -> RLE        validate structure and counts (MaskError if bad)
  read_png_mask(path, value)   -> RLE        a PNG mask file (nonzero, or pixels == value)
  read_png_ids(path)           -> (H, W) uint32   a PNG's pixel values; RGB as panoptic ids
  empty_rle(h, w), full_rle(h, w), union_rle(rles, h, w)
  area(rle), intersection_area(a, b), union_area(a, b), iou(a, b, empty_iou=1.0), bbox(rle)

Abbreviations: RLE run-length encoding, I intersection area, U union area, IoU = I / U.
Areas are computed on the run lengths (pycocotools C code) without decoding to dense arrays.
Two empty masks have IoU ``empty_iou`` (1.0 by default), never NaN.
Every entry point checks its input (``perbench.mask_checks``) before pycocotools' C code runs,
so a hostile mask is a MaskError, never a crash.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pycocotools import mask as coco_mask

from perbench.errors import MaskError
from perbench.limits import LIMITS, limit
from perbench.mask_checks import (
    check_size,
    clean_runs,
    clip_polygon,
    runs_to_counts,
    scan_counts,
)

RLE = dict[str, Any]


def encode(mask: np.ndarray) -> RLE:
    """Encode a dense mask ``(H, W)`` (bool or integer, nonzero = inside) to compressed RLE."""
    array = np.asarray(mask)
    if array.ndim != 2:
        raise MaskError(f"a mask must be 2-D (H, W), got shape {array.shape}")
    check_size(list(array.shape), None)
    rle = coco_mask.encode(np.asfortranarray(array != 0, dtype=np.uint8))
    return {"size": [int(array.shape[0]), int(array.shape[1])], "counts": rle["counts"].decode()}


def decode(rle: RLE) -> np.ndarray:
    """Decode a compressed RLE to a dense ``(H, W) uint8`` array of 0/1."""
    return coco_mask.decode(_c_rle(rle))


def empty_rle(height: int, width: int) -> RLE:
    """The RLE of an all-zero ``(height, width)`` mask (a valid mask of area 0)."""
    height, width = check_size([height, width], None)
    return {"size": [height, width], "counts": runs_to_counts([height * width])}


def full_rle(height: int, width: int) -> RLE:
    """The RLE of an all-one ``(height, width)`` mask."""
    height, width = check_size([height, width], None)
    return {"size": [height, width], "counts": runs_to_counts([0, height * width])}


def _c_rle(rle: RLE) -> dict[str, Any]:
    """The RLE as pycocotools takes it (counts bytes), checked first so C never sees bad runs."""
    checked = check_rle(rle)
    return {"size": checked["size"], "counts": checked["counts"].encode("ascii")}


def check_rle(
    rle: Any, size: tuple[int, int] | list[int] | None = None, where: str | None = None
) -> RLE:
    """Validate a compressed RLE and return it with ``counts`` as ``str``.

    Checks the keys, the size (and that it equals ``size`` = (h, w) when given), and the
    counts while parsing them (``perbench.mask_checks.scan_counts``): alphabet, no negative
    run, no zero-length run after the first, runs covering exactly ``h * w`` pixels.
    """
    if not isinstance(rle, dict) or "size" not in rle or "counts" not in rle:
        raise MaskError("a mask must be an RLE object with 'size' and 'counts'", where=where)
    height, width = check_size(rle["size"], where)
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
        raw = counts.encode("ascii")
    except UnicodeEncodeError:
        raise MaskError("RLE counts are not ASCII", where=where) from None
    scan_counts(raw, height, width, where)
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
        rows, columns = check_size(obj.get("size"), where)
        runs = clean_runs(obj["counts"], rows, columns, where)
        rle = {"size": [rows, columns], "counts": runs_to_counts(runs)}
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
    height, width = check_size([height, width], where)
    if not polygons:
        return empty_rle(height, width)
    _check_polygon_counts(polygons, where)
    prefix = f"{where}, " if where else ""
    cleaned = [
        clip_polygon(polygon, height, width, f"{prefix}polygon {index}")
        for index, polygon in enumerate(polygons)
    ]
    cleaned = [polygon for polygon in cleaned if polygon]
    if not cleaned:
        return empty_rle(height, width)
    merged = coco_mask.merge(coco_mask.frPyObjects(cleaned, height, width))
    return {"size": [height, width], "counts": merged["counts"].decode()}


def _check_polygon_counts(polygons: list, where: str | None) -> None:
    """The ``polygon_parts`` and ``polygon_vertices`` limits, before any polygon is read."""
    found = {"polygon_parts": len(polygons), "polygon_vertices": 0}
    if found["polygon_parts"] <= limit("polygon_parts"):
        found["polygon_vertices"] = sum(
            len(p) // 2 for p in polygons if isinstance(p, (list, tuple))
        )
    for name, count in found.items():
        if count > limit(name):
            raise MaskError(
                f"one mask of {count} {LIMITS[name].unit}, over the limit {limit(name):,}",
                where=where,
                hint=f"simplify the polygons, or raise it with --limit {name}=N",
            )


def read_png_mask(path: str | Path, value: int | None = None) -> RLE:
    """Read a PNG mask: nonzero pixels (or pixels equal to ``value``) are inside.

    RGB PNGs are read as COCO panoptic ids (R + 256*G + 256**2*B).
    """
    array = read_png_ids(path)
    return encode(array == value if value is not None else array != 0)


def read_png_ids(path: str | Path) -> np.ndarray:
    """The values of a PNG mask, ``(H, W)``: grey (+ alpha) as is, RGB as panoptic ids.

    Built in uint32 (4 bytes a pixel, not 24), so decoding a panoptic PNG once per image and
    comparing it per segment stays within a few bytes a pixel.
    """
    from perbench.errors import ImageError
    from perbench.images import decode_image

    try:
        array = decode_image(Path(path), str(path), mode=None)
    except ImageError as exc:
        raise MaskError(f"cannot read the mask image: {exc}", where=str(path)) from None
    if array.ndim == 3 and array.shape[2] < 3:
        return array[..., 0]  # grey + alpha: the grey channel is the mask
    if array.ndim == 3:
        ids = array[..., 2].astype(np.uint32) << 16
        ids |= array[..., 1].astype(np.uint32) << 8
        ids |= array[..., 0]
        return ids
    return array


def area(rle: RLE) -> int:
    """Number of pixels inside the mask."""
    return int(coco_mask.area(_c_rle(rle)))


def union_rle(rles: list[RLE], height: int, width: int) -> RLE:
    """The union of ``rles``; the empty mask of ``(height, width)`` when there are none."""
    height, width = check_size([height, width], None)
    if not rles:
        return empty_rle(height, width)
    checked = [_c_rle(rle) for rle in rles]
    for rle in checked:
        _require_same_size(rle, {"size": [height, width]})
    if len(checked) == 1:
        return {"size": checked[0]["size"], "counts": checked[0]["counts"].decode()}
    merged = coco_mask.merge(checked, intersect=0)
    return {"size": [int(v) for v in merged["size"]], "counts": merged["counts"].decode()}


def _require_same_size(a: dict[str, Any], b: dict[str, Any]) -> None:
    if list(a["size"]) != list(b["size"]):
        raise MaskError(f"masks of different sizes cannot be compared: {a['size']} vs {b['size']}")


def _checked_pair(a: RLE, b: RLE) -> tuple[dict[str, Any], dict[str, Any]]:
    ca, cb = _c_rle(a), _c_rle(b)
    _require_same_size(ca, cb)
    return ca, cb


def intersection_area(a: RLE, b: RLE) -> int:
    """Pixels inside both masks."""
    return int(coco_mask.area(coco_mask.merge(list(_checked_pair(a, b)), intersect=1)))


def union_area(a: RLE, b: RLE) -> int:
    """Pixels inside either mask."""
    return int(coco_mask.area(coco_mask.merge(list(_checked_pair(a, b)), intersect=0)))


def intersection_and_union(a: RLE, b: RLE) -> tuple[int, int]:
    """``(I, U)`` in one call; U = area(a) + area(b) - I (exact integers)."""
    ca, cb = _checked_pair(a, b)
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
