"""COCO panoptic reader: one PNG of segment ids per image plus ``segments_info``.

API:
  PanopticReader(panoptic_json, png_dir, images_dir, include_stuff=False, shard_size=500,
                 skip_errors=False)

Format (upstream, exactly): ``images[{id, file_name, height, width}]``, ``annotations[{image_id,
file_name (the PNG), segments_info[{id, category_id, area, bbox, iscrowd}]}]``,
``categories[{id, name, supercategory, isthing}]``; a pixel's segment id is R + 256*G + 256^2*B.
Stuff segments (``isthing`` 0) are left out unless ``include_stuff``. A segment id absent from
its PNG is a broken annotation.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from perbench.errors import SourceError
from perbench.limits import check_count
from perbench.masks import area, encode, read_png_ids
from perbench.sources.annotated import (
    IMAGE_FIELDS,
    LISTS,
    NAMED,
    AnnotatedReader,
    load_json,
    readable,
    require_fields,
    sorted_ids,
)
from perbench.sources.base import Instance, SourceImage, confined_path, image_file
from perbench.sources.coco import COCO_LICENSE

PANOPTIC_SEGMENT = {"id": "segment", "category_id": "id"}


class PanopticReader(AnnotatedReader):
    """COCO panoptic segmentation: thing segments (and optionally stuff) as instances."""

    name = "coco_panoptic"
    license = COCO_LICENSE

    def __init__(
        self,
        panoptic_json: str | Path,
        png_dir: str | Path,
        images_dir: str | Path,
        include_stuff: bool = False,
        shard_size: int = 500,
        skip_errors: bool = False,
    ):
        super().__init__(skip_errors, shard_size)
        self.path = Path(panoptic_json)
        self.png_dir = Path(png_dir)
        self.images_dir = Path(images_dir)
        self.include_stuff = include_stuff
        self._index: dict[str, Any] | None = None

    @property
    def prefix(self) -> str:
        return f"{self.name}/{self.path.stem}"

    def index(self) -> dict[str, Any]:
        if self._index is None:
            data = load_json(self.path)
            where = str(self.path)
            require_fields(data, ("images", "annotations", "categories"), where, LISTS)
            categories = {}
            for i, c in enumerate(data["categories"]):
                where_c = f"{where}, categories[{i}]"
                categories[require_fields(c, ("id", "name"), where_c, NAMED)["id"]] = c
            images = {}
            for i, image in enumerate(data["images"]):
                fields = ("id", "file_name", "height", "width")
                images[
                    require_fields(image, fields, f"{where}, images[{i}]", IMAGE_FIELDS)["id"]
                ] = image
            annotations = {}
            for i, ann in enumerate(data["annotations"]):
                require_fields(
                    ann,
                    ("image_id", "file_name", "segments_info"),
                    f"{where}, annotations[{i}]",
                    {"image_id": "id", "file_name": "text", "segments_info": "list"},
                )
                if ann["image_id"] not in images:
                    raise SourceError(
                        f"unknown image id {ann['image_id']}", where=f"{where}, annotations[{i}]"
                    )
                annotations[ann["image_id"]] = ann
            image_ids = sorted_ids(annotations)
            self._index = {
                "categories": categories,
                "images": images,
                "annotations": annotations,
                "image_ids": image_ids,
            }
        return self._index

    def categories(self) -> list[tuple[str, str | None]]:
        cats = self.index()["categories"].values()
        return [
            (readable(c["name"]), c.get("supercategory"))
            for c in cats
            if self.include_stuff or c.get("isthing", 1)
        ]

    def _keys(self) -> list[Any]:
        return self.index()["image_ids"]

    def read_shard(self, shard: str) -> Iterator[SourceImage]:
        index = self.index()
        yield from self._read_chunk(
            shard, str(self.path), lambda image_id: self._image(index, image_id)
        )

    def _image(self, index: dict[str, Any], image_id: Any) -> SourceImage:
        record, ann = index["images"][image_id], index["annotations"][image_id]
        where = f"{self.path}, image id {image_id}"
        path = image_file(self.images_dir, record["file_name"], where, image_id)
        png = confined_path(self.png_dir, ann["file_name"], where)
        height, width = int(record["height"]), int(record["width"])
        check_count("instances_per_image", len(ann["segments_info"]), where, SourceError)
        instances = []
        ids = read_png_ids(png) if ann["segments_info"] else None
        for position, segment in enumerate(ann["segments_info"]):
            where = f"{self.path}, image id {image_id}, segments_info[{position}]"
            require_fields(segment, ("id", "category_id"), where, PANOPTIC_SEGMENT)
            category = index["categories"].get(segment["category_id"])
            if category is None:
                raise SourceError(f"unknown category id {segment['category_id']}", where=where)
            if not (self.include_stuff or category.get("isthing", 1)):
                continue
            mask = encode(ids == int(segment["id"]))
            if tuple(mask["size"]) != (height, width) or area(mask) == 0:
                raise SourceError(
                    f"segment id {segment['id']} is absent from {png.name} "
                    f"or the PNG is not {height}x{width}",
                    where=where,
                )
            instances.append(
                Instance(
                    id=str(segment["id"]),
                    mask=mask,
                    category=readable(
                        category["name"].replace("-merged", "").replace("-other", "")
                    ),
                    supercategory=category.get("supercategory"),
                    iscrowd=bool(segment.get("iscrowd", 0)),
                    extra={"isthing": bool(category.get("isthing", 1))},
                )
            )
        return self._source_image(image_id, record["file_name"], path, height, width, instances)
