"""Decode image files from others safely: every failure is an ``ImageError`` naming the file.

API:
  DEFAULT_MAX_PIXELS                      the default of ``perbench.limits``' ``image_pixels``
  pixel_limit(limit)                      context: the pixel limit while a command runs
                                          (``--max-image-pixels``; None keeps the one in force)
  max_pixels() -> int                     the limit in force
  decode_image(data, where, mode="RGB") -> (H, W, C) uint8 array (or (H, W) for "L"/"I")
  image_size(data, where) -> (height, width)   reads the header and checks the whole file decodes
  check_image_header(data, height, width, where)  bytes whose header is an image of that size
                                          (no pixel decoded)
  pixel_sha256(data, where) -> str        sha256 of the decoded RGB pixels and their shape: one
                                          image re-encoded losslessly keeps its hash (training
                                          data vs a release: "trained on test images")
  pixel_hashes(images) -> {key: sha256}   of (key, loader) pairs, each distinct key decoded once
  release_pixel_hashes(release) -> {image_id: sha256}   every distinct image of a release

Truncated files, non-images, decompression bombs (more than ``max_pixels()`` pixels) and any
decoder failure raise ``ImageError`` (a ``SourceError``) with ``where`` naming the file and the
record, so ``--skip-errors`` counts and skips them. The limit is checked from the header, before
any pixel is decoded.
"""

from __future__ import annotations

import io
import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from perbench.errors import ImageError
from perbench.limits import LIMITS, limit, limits_in_force

DEFAULT_MAX_PIXELS = LIMITS["image_pixels"].default
_WARNINGS_LOCK = threading.Lock()


@contextmanager
def pixel_limit(pixels: int | None) -> Iterator[None]:
    """The largest image (width * height) any reader decodes inside the block; restored after,
    so one command run in-process (tests, notebooks) cannot change the next one's limit."""
    if pixels is not None and pixels < 1:
        raise ImageError(f"the pixel limit must be positive, got {pixels}")
    with limits_in_force({"image_pixels": pixels}):
        yield


def max_pixels() -> int:
    return limit("image_pixels")


def _open(data: bytes | str | Path, where: str):
    from PIL import Image

    source = io.BytesIO(data) if isinstance(data, bytes) else data
    Image.MAX_IMAGE_PIXELS = None  # our own limit below, checked before decoding
    try:
        image = Image.open(source)
    except FileNotFoundError:
        raise ImageError("image file not found", where=where) from None
    except Exception as exc:  # PIL raises many types (OSError, SyntaxError, ValueError...)
        raise ImageError(f"not a readable image: {exc}", where=where) from None
    pixels = image.width * image.height
    if pixels > max_pixels():
        image.close()
        raise ImageError(
            f"image is {image.width}x{image.height} = {pixels} pixels, more than the limit "
            f"{max_pixels()}",
            where=where,
            hint="raise it with --max-image-pixels N if the image is genuine",
        )
    return image


def decode_image(data: bytes | str | Path, where: str, mode: str | None = "RGB") -> np.ndarray:
    """The decoded pixels, converted to ``mode`` (kept as stored when None)."""
    image = _open(data, where)
    try:
        # PIL warns instead of failing on some broken files. The warning filters are
        # process-wide: recording (not "error") under a lock keeps other threads' warnings
        # from becoming exceptions there, and only PIL's own warnings count here.
        with image, _WARNINGS_LOCK, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            converted = image.convert(mode) if mode else image
            converted.load()
            pixels = np.asarray(converted)
    except ImageError:
        raise
    except Exception as exc:
        raise ImageError(f"broken or truncated image: {exc}", where=where) from None
    pil = [w for w in caught if f"{os.sep}PIL{os.sep}" in w.filename]
    if pil:
        raise ImageError(f"broken or truncated image: {pil[0].message}", where=where)
    return pixels


def pixel_sha256(data: bytes | str | Path, where: str) -> str:
    import hashlib

    pixels = np.ascontiguousarray(decode_image(data, where))
    digest = hashlib.sha256(f"{pixels.shape[0]}x{pixels.shape[1]};".encode())
    digest.update(pixels.tobytes())
    return digest.hexdigest()


def pixel_hashes(images) -> dict[str, str]:
    """``images``: (key, loader) pairs, a loader returning bytes or a path; one hash per key."""
    hashes: dict[str, str] = {}
    for key, load in images:
        if key not in hashes:
            hashes[key] = pixel_sha256(load(), f"image {key}")
    return hashes


def release_pixel_hashes(release) -> dict[str, str]:
    """pixel_sha256 of every distinct image (by image_id) of a perbench.release.Release."""
    samples = (s for task in release.tasks for s in release.samples(task, with_image=True))
    return pixel_hashes((s.image_id, lambda s=s: s.image) for s in samples)


def image_size(data: bytes | str | Path, where: str) -> tuple[int, int]:
    """``(height, width)`` of an image that decodes completely."""
    array = decode_image(data, where, mode=None)
    return int(array.shape[0]), int(array.shape[1])


def check_image_header(data: Any, height: int, width: int, where: str) -> None:
    """ImageError unless ``data`` is image bytes whose header says ``width`` x ``height``."""
    if not isinstance(data, bytes) or not data:
        raise ImageError("the row carries no image bytes", where=where)
    with _open(data, where) as image:
        if image.size != (width, height):
            raise ImageError(
                f"the image is {image.width}x{image.height}, the sample says {width}x{height}",
                where=where,
            )
