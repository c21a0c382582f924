"""EXIF orientation made neutral once, so that every decoder sees the pixels the masks describe.

API:
  neutral_orientation(data, where="image") -> bytes
      ``data`` unchanged when it has no EXIF orientation other than 1; otherwise the same file
      with its orientation tag set to 1 (JPEG, WebP: the tag's two bytes; PNG: its ``eXIf``
      chunk and that chunk's CRC), or, for a layout this cannot patch, the decoded pixels as a
      lossless PNG without EXIF

Source annotations (COCO, LVIS, SA-1B, STBench...) give sizes and masks on the stored pixel grid,
which is what PIL decodes, but ``datasets`` (and browsers) rotate by the EXIF orientation when
they decode: an image recorded as 160x120 would load as 120x160 under its masks. With the tag at
1, every decoder sees the recorded size. Readers apply this as they load a file, the STBench
import as it reads one, and ``write_release`` to every row's image.
"""

from __future__ import annotations

import io
import struct
import zlib

from perbench.errors import ImageError

ORIENTATION = 0x0112
SHORT = 3
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _orientation(data: bytes) -> int | None:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return image.getexif().get(ORIENTATION)


def _patch_tiff(data: bytearray, start: int) -> bool:
    """Set IFD0's orientation entry of the TIFF structure at ``start`` to 1, in place."""
    order = {b"II": "<", b"MM": ">"}.get(bytes(data[start : start + 2]))
    if order is None or start + 8 > len(data):
        return False
    ifd = start + struct.unpack_from(order + "I", data, start + 4)[0]
    if ifd + 2 > len(data):
        return False
    for number in range(struct.unpack_from(order + "H", data, ifd)[0]):
        entry = ifd + 2 + 12 * number
        if entry + 12 > len(data):
            return False
        tag, kind, count = struct.unpack_from(order + "HHI", data, entry)
        if tag == ORIENTATION and kind == SHORT and count == 1:
            struct.pack_into(order + "H", data, entry + 8, 1)
            return True
    return False


def _patched_png(data: bytes) -> bytes | None:
    out, position = bytearray(data), len(PNG_SIGNATURE)
    while position + 8 <= len(out):
        length, kind = struct.unpack_from(">I4s", out, position)
        body = position + 8
        if kind == b"eXIf":
            start = body + (6 if out[body : body + 6] == b"Exif\x00\x00" else 0)
            if not _patch_tiff(out, start):
                return None
            crc = zlib.crc32(bytes(out[position + 4 : body + length]))
            struct.pack_into(">I", out, body + length, crc)
            return bytes(out)
        position = body + length + 4
    return None


def _patched(data: bytes) -> bytes | None:
    if data.startswith(PNG_SIGNATURE):
        return _patched_png(data)
    header = data.find(b"Exif\x00\x00")
    if header < 0:
        return None
    out = bytearray(data)
    return bytes(out) if _patch_tiff(out, header + 6) else None


def _as_png(data: bytes) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
    return buffer.getvalue()


def neutral_orientation(data: bytes, where: str = "image") -> bytes:
    try:
        orientation = _orientation(data)
    except Exception:  # not decodable here: the image checks that follow name the file
        return data
    if orientation in (None, 1):
        return data
    patched = _patched(data)
    try:
        if patched is not None and _orientation(patched) == 1:
            return patched
        return _as_png(data)
    except Exception as exc:
        raise ImageError(f"cannot neutralise its EXIF orientation: {exc}", where=where) from None
