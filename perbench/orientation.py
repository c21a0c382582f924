"""EXIF orientation made neutral once, so that every decoder sees the pixels the masks describe.

API:
  neutral_orientation(data, where="image") -> bytes
      ``data`` unchanged when it has no EXIF orientation other than 1; otherwise the same file
      with its orientation tag set to 1 (JPEG, WebP: the tag's two bytes; PNG: its ``eXIf``
      chunk and that chunk's CRC), or, for a layout this cannot patch, the decoded pixels (RGB,
      within the pixel limit) as a lossless PNG without EXIF

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
from perbench.images import decode_image

ORIENTATION = 0x0112
SHORT = 3
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# ImageMagick's EXIF in a PNG text chunk, which PIL (and so datasets) reads as EXIF too; this
# module does not patch it: such a file is written again as a PNG without it
TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
RAW_EXIF = b"Raw profile type exif"
UNKNOWN = -1


def _entry(data: bytes | bytearray, start: int) -> tuple[str, int] | None:
    """(byte order, offset of the value) of IFD0's orientation in the TIFF structure at
    ``start``; None when there is none."""
    order = {b"II": "<", b"MM": ">"}.get(bytes(data[start : start + 2]))
    if order is None or start + 8 > len(data):
        return None
    ifd = start + struct.unpack_from(order + "I", data, start + 4)[0]
    if ifd + 2 > len(data):
        return None
    for number in range(struct.unpack_from(order + "H", data, ifd)[0]):
        entry = ifd + 2 + 12 * number
        if entry + 12 > len(data):
            return None
        tag, kind, count = struct.unpack_from(order + "HHI", data, entry)
        if tag == ORIENTATION and kind == SHORT and count == 1:
            return order, entry + 8
    return None


def _png_exif(data: bytes | bytearray) -> tuple[int, int, int] | None:
    """(chunk start, data start, data length) of the ``eXIf`` chunk, from the chunk headers
    alone: PIL would decode the whole image to find a chunk that follows the pixels."""
    position = len(PNG_SIGNATURE)
    while position + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        if kind == b"eXIf" or (
            kind in TEXT_CHUNKS and data[position + 8 : position + 8 + len(RAW_EXIF)] == RAW_EXIF
        ):
            return position, position + 8, length
        if kind == b"IEND":
            return None
        position += 12 + length
    return None


def _tiff_start(data: bytes | bytearray, body: int) -> int:
    return body + (6 if data[body : body + 6] == b"Exif\x00\x00" else 0)


def _orientation(data: bytes) -> int | None:
    if data.startswith(PNG_SIGNATURE):
        found = _png_exif(data)
        if found is not None and data[found[1] : found[1] + len(RAW_EXIF)] == RAW_EXIF:
            return UNKNOWN
        entry = found and _entry(data, _tiff_start(data, found[1]))
        return struct.unpack_from(entry[0] + "H", data, entry[1])[0] if entry else None
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return image.getexif().get(ORIENTATION)


def _set_to_one(data: bytearray, start: int) -> bool:
    entry = _entry(data, start)
    if entry is not None:
        struct.pack_into(entry[0] + "H", data, entry[1], 1)
    return entry is not None


def _patched_png(data: bytes) -> bytes | None:
    out, found = bytearray(data), _png_exif(data)
    if found is None or not _set_to_one(out, _tiff_start(out, found[1])):
        return None
    chunk, body, length = found
    struct.pack_into(">I", out, body + length, zlib.crc32(bytes(out[chunk + 4 : body + length])))
    return bytes(out)


def _patched(data: bytes) -> bytes | None:
    if data.startswith(PNG_SIGNATURE):
        return _patched_png(data)
    header = data.find(b"Exif\x00\x00")
    if header < 0:
        return None
    out = bytearray(data)
    return bytes(out) if _set_to_one(out, header + 6) else None


def _as_png(data: bytes, where: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(decode_image(data, where)).save(buffer, format="PNG")
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
        return _as_png(data, where)
    except ImageError:
        raise
    except Exception as exc:
        raise ImageError(f"cannot neutralise its EXIF orientation: {exc}", where=where) from None
