"""Mask codec: COCO compressed RLE is the one in-memory and on-disk form of every mask.

API (RLE = ``{"size": [h, w], "counts": "<ascii>"}``, Fortran order, as pycocotools makes it):
  encode(mask)                 -> ValidRLE   mask: (H, W) bool/uint8, nonzero = inside
  decode(rle)                  -> (H, W) uint8 of 0/1
  to_rle(obj, height, width)   -> ValidRLE   from compressed/uncompressed RLE, polygons, arrays
  check_rle(rle, size)         -> ValidRLE   validate structure and counts (MaskError if bad)
  ValidRLE                     an RLE known to be valid: a read-only dict, never scanned again
  read_png_mask(path, value)   -> ValidRLE   a PNG mask file (nonzero, or pixels == value)
  empty_rle(h, w), full_rle(h, w), union_rle(rles, h, w)
  area(rle), intersection_area(a, b), union_area(a, b), iou(a, b, empty_iou=1.0), bbox(rle)
  intersection_and_union(a, b) -> (I, U), areas_and_intersection(a, b) -> (area a, area b, I)

Abbreviations: RLE run-length encoding, I intersection area, U union area, IoU = I / U.
Areas are computed on the run lengths (pycocotools C code) without decoding to dense arrays.
Two empty masks have IoU ``empty_iou`` (1.0 by default), never NaN.
Every entry point checks its input (``perbench.mask_checks``) before pycocotools' C code runs,
so a hostile mask is a MaskError, never a crash. A mask is checked once, where it enters (a
submission line, a release row, a source annotation): ``check_rle`` and ``to_rle`` return a
``ValidRLE``, and so does every function here that makes a mask (pycocotools output is valid by
construction). The metrics take a ``ValidRLE`` straight to C; any other dict is scanned first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pycocotools import mask as coco_mask

from perbench.errors import MaskError
from perbench.mask_checks import (
    check_size,
    clean_runs,
    clip_polygon,
    runs_to_counts,
    scan_counts,
)

RLE = dict[str, Any]


class ValidRLE(dict):
    """A compressed RLE whose counts passed ``scan_counts`` (or came out of pycocotools).

    Read-only so that it stays valid: mutating it raises TypeError (``dict(rle)`` is a plain,
    mutable copy, scanned again if it comes back). A pickled one is checked again on load, since
    the bytes may come from elsewhere.
    """

    def __init__(self, height: int, width: int, counts: str):
        super().__init__(size=[height, width], counts=counts)

    def _read_only(self, *args: Any, **kwargs: Any):
        raise TypeError("a ValidRLE is read-only: change a copy, dict(rle), and check it again")

    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only

    def __copy__(self) -> ValidRLE:
        return self

    def __deepcopy__(self, memo: dict) -> ValidRLE:
        return self

    def __reduce__(self):
        return check_rle, (dict(self),)


def _made(height: int, width: int, counts: bytes | str) -> ValidRLE:
    """A mask that pycocotools (or ``runs_to_counts`` on checked runs) just made."""
    return ValidRLE(height, width, counts.decode() if isinstance(counts, bytes) else counts)


def encode(mask: np.ndarray) -> ValidRLE:
    """Encode a dense mask ``(H, W)`` (bool or integer, nonzero = inside) to compressed RLE."""
    array = np.asarray(mask)
    if array.ndim != 2:
        raise MaskError(f"a mask must be 2-D (H, W), got shape {array.shape}")
    check_size(list(array.shape), None)
    rle = coco_mask.encode(np.asfortranarray(array != 0, dtype=np.uint8))
    return _made(int(array.shape[0]), int(array.shape[1]), rle["counts"])


def decode(rle: RLE) -> np.ndarray:
    """Decode a compressed RLE to a dense ``(H, W) uint8`` array of 0/1."""
    return coco_mask.decode(_c_rle(rle))


def empty_rle(height: int, width: int) -> ValidRLE:
    """The RLE of an all-zero ``(height, width)`` mask (a valid mask of area 0)."""
    height, width = check_size([height, width], None)
    return _made(height, width, runs_to_counts([height * width]))


def full_rle(height: int, width: int) -> ValidRLE:
    """The RLE of an all-one ``(height, width)`` mask."""
    height, width = check_size([height, width], None)
    return _made(height, width, runs_to_counts([0, height * width]))


def _c_rle(rle: RLE) -> ValidRLE:
    """The RLE as pycocotools takes it (it reads str counts too), checked unless known valid."""
    return check_rle(rle)


def check_rle(
    rle: Any, size: tuple[int, int] | list[int] | None = None, where: str | None = None
) -> ValidRLE:
    """Validate a compressed RLE and return it as a ``ValidRLE`` (``counts`` a ``str``).

    Checks the keys, the size (and that it equals ``size`` = (h, w) when given), and the
    counts while parsing them (``perbench.mask_checks.scan_counts``): alphabet, no negative
    run, no zero-length run after the first, runs covering exactly ``h * w`` pixels.
    A ``ValidRLE`` was checked when it was made: only its size is compared.
    """
    if isinstance(rle, ValidRLE):
        _require_size(rle["size"], size, where)
        return rle
    if not isinstance(rle, dict) or "size" not in rle or "counts" not in rle:
        raise MaskError("a mask must be an RLE object with 'size' and 'counts'", where=where)
    height, width = check_size(rle["size"], where)
    _require_size([height, width], size, where)
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
    return ValidRLE(height, width, counts)


def _require_size(
    mask_size: list[int], size: tuple[int, int] | list[int] | None, where: str | None
) -> None:
    if size is not None and tuple(mask_size) != (int(size[0]), int(size[1])):
        raise MaskError(
            f"mask size {mask_size[0]}x{mask_size[1]} (h x w) differs from the image size "
            f"{size[0]}x{size[1]}",
            where=where,
            hint="predict masks at the original image resolution",
        )


def to_rle(
    obj: Any, height: int | None = None, width: int | None = None, where: str | None = None
) -> ValidRLE:
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
        rle = _made(rows, columns, runs_to_counts(runs))
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
) -> ValidRLE:
    if height is None or width is None:
        raise MaskError("polygons need the image height and width", where=where)
    height, width = check_size([height, width], where)
    if not polygons:
        return empty_rle(height, width)
    prefix = f"{where}, " if where else ""
    cleaned = [
        clip_polygon(polygon, height, width, f"{prefix}polygon {index}")
        for index, polygon in enumerate(polygons)
    ]
    cleaned = [polygon for polygon in cleaned if polygon]
    if not cleaned:
        return empty_rle(height, width)
    merged = coco_mask.merge(coco_mask.frPyObjects(cleaned, height, width))
    return _made(height, width, merged["counts"])


def read_png_mask(path: str | Path, value: int | None = None) -> ValidRLE:
    """Read a PNG mask: nonzero pixels (or pixels equal to ``value``) are inside.

    RGB PNGs are read as COCO panoptic ids (R + 256*G + 256**2*B).
    """
    from perbench.errors import ImageError
    from perbench.images import decode_image

    try:
        array = decode_image(Path(path), str(path), mode=None)
    except ImageError as exc:
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


def union_rle(rles: list[RLE], height: int, width: int) -> ValidRLE:
    """The union of ``rles``; the empty mask of ``(height, width)`` when there are none."""
    height, width = check_size([height, width], None)
    if not rles:
        return empty_rle(height, width)
    valid = [check_rle(rle) for rle in rles]
    for rle in valid:
        _require_same_size(rle, {"size": [height, width]})
    if len(valid) == 1:
        return valid[0]
    merged = coco_mask.merge(valid, intersect=0)
    return _made(height, width, merged["counts"])


def _require_same_size(a: ValidRLE, b: dict[str, Any]) -> None:
    if a["size"] != b["size"]:
        raise MaskError(f"masks of different sizes cannot be compared: {a['size']} vs {b['size']}")


def _checked_pair(a: RLE, b: RLE) -> tuple[ValidRLE, ValidRLE]:
    ca, cb = _c_rle(a), _c_rle(b)
    _require_same_size(ca, cb)
    return ca, cb


def intersection_area(a: RLE, b: RLE) -> int:
    """Pixels inside both masks."""
    return int(coco_mask.area(coco_mask.merge(list(_checked_pair(a, b)), intersect=1)))


def union_area(a: RLE, b: RLE) -> int:
    """Pixels inside either mask."""
    return int(coco_mask.area(coco_mask.merge(list(_checked_pair(a, b)), intersect=0)))


def areas_and_intersection(a: RLE, b: RLE) -> tuple[int, int, int]:
    """``(area(a), area(b), I)`` in one pycocotools call."""
    ca, cb = _checked_pair(a, b)
    area_a, area_b, inter = coco_mask.area([ca, cb, coco_mask.merge([ca, cb], intersect=1)])
    return int(area_a), int(area_b), int(inter)


def intersection_and_union(a: RLE, b: RLE) -> tuple[int, int]:
    """``(I, U)`` in one call; U = area(a) + area(b) - I (exact integers)."""
    area_a, area_b, inter = areas_and_intersection(a, b)
    return inter, area_a + area_b - inter


def iou(a: RLE, b: RLE, empty_iou: float = 1.0) -> float:
    """I / U; ``empty_iou`` when both masks are empty (pycocotools would say 0)."""
    inter, union = intersection_and_union(a, b)
    return empty_iou if union == 0 else inter / union


def bbox(rle: RLE) -> list[float]:
    """``[x, y, w, h]`` of the mask's bounding box (zeros for an empty mask)."""
    return [float(v) for v in coco_mask.toBbox(_c_rle(rle))]
