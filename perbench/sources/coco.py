"""COCO 2017 instances (+ captions) reader, and the COCO index the LVIS/RefCOCO readers share.

API:
  CocoIndex(instances_json, images_dir, dataset)   parsed images, annotations, categories
    .image_ids                  sorted image ids
    .source_image(image_id, texts=None, extra=None)   -> SourceImage (instances as RLE)
  CocoReader(instances_json, images_dir, captions_json=None, shard_size=500, skip_errors=False)

Format (upstream, exactly): ``images[{id, file_name, height, width}]``, ``annotations[{id,
image_id, category_id, segmentation, area, bbox, iscrowd}]``, ``categories[{id, name,
supercategory}]``; segmentation is polygons (iscrowd 0) or uncompressed RLE (iscrowd 1);
compressed RLE is accepted too. Captions: ``annotations[{id, image_id, caption}]``.
Shards are chunks of ``shard_size`` images in id order: ``coco/<file stem>/00000``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from perbench.errors import SourceError
from perbench.masks import to_rle
from perbench.sources.annotated import (
    AnnotatedReader,
    load_json,
    readable,
    require_fields,
    sorted_ids,
)
from perbench.sources.base import Instance, SourceImage, image_file, read_file_bytes

COCO_LICENSE = "CC BY 4.0 annotations; images under their Flickr licences (see the source)"


def image_file_name(record: dict[str, Any]) -> str:
    """COCO's ``file_name``, or the last part of LVIS's ``coco_url``."""
    if "file_name" in record:
        return str(record["file_name"])
    return str(record["coco_url"]).rsplit("/", 1)[-1]


class CocoIndex:
    """An instances JSON parsed once: images by id, annotations by image, categories by id."""

    def __init__(self, instances_json: str | Path, images_dir: str | Path, dataset: str = "coco"):
        self.path = Path(instances_json)
        self.images_dir = Path(images_dir)
        self.dataset = dataset
        data = load_json(self.path)
        where = str(self.path)
        require_fields(data, ("images", "annotations", "categories"), where)
        self.categories: dict[Any, dict[str, Any]] = {}
        for index, category in enumerate(data["categories"]):
            require_fields(category, ("id", "name"), f"{where}, categories[{index}]")
            self.categories[category["id"]] = category
        self.images: dict[Any, dict[str, Any]] = {}
        for index, image in enumerate(data["images"]):
            require_fields(image, ("id", "height", "width"), f"{where}, images[{index}]")
            if "file_name" not in image and "coco_url" not in image:
                raise SourceError(
                    "image has neither file_name nor coco_url", where=f"{where}, images[{index}]"
                )
            self.images[image["id"]] = image
        self.annotations: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for index, ann in enumerate(data["annotations"]):
            ann_where = f"{where}, annotations[{index}]"
            require_fields(ann, ("id", "image_id", "category_id", "segmentation"), ann_where)
            if ann["image_id"] not in self.images:
                raise SourceError(
                    f"annotation id {ann['id']} names unknown image id {ann['image_id']}",
                    where=ann_where,
                )
            if ann["category_id"] not in self.categories:
                raise SourceError(
                    f"annotation id {ann['id']} names unknown category id {ann['category_id']}",
                    where=ann_where,
                )
            self.annotations[ann["image_id"]].append(ann)
        self.image_ids = sorted_ids(self.images)

    def category_names(self) -> list[tuple[str, str | None]]:
        """Every ``(name, supercategory)`` of the file, readable, in id order."""
        return [
            (readable(c["name"]), c.get("supercategory"))
            for _, c in sorted(self.categories.items())
        ]

    def instance(self, ann: dict[str, Any], height: int, width: int) -> Instance:
        where = f"{self.path}, annotation id {ann['id']} (image id {ann['image_id']})"
        mask = to_rle(ann["segmentation"], height, width, where=where)
        category = self.categories[ann["category_id"]]
        return Instance(
            id=str(ann["id"]),
            mask=mask,
            category=readable(category["name"]),
            supercategory=category.get("supercategory"),
            iscrowd=bool(ann.get("iscrowd", 0)),
            extra={"category_id": ann["category_id"]},
        )

    def source_image(
        self,
        image_id: Any,
        texts: dict[str, list[str]] | None = None,
        captions: list[str] | None = None,
        extra: dict[str, Any] | None = None,
        license: str = COCO_LICENSE,
        exhaustive: bool = False,
    ) -> SourceImage:
        """The image with its instances; SourceError if its file is missing or a mask is broken."""
        record = self.images[image_id]
        height, width = int(record["height"]), int(record["width"])
        path = image_file(
            self.images_dir,
            image_file_name(record),
            f"{self.path}, image id {image_id}",
            image_id,
            hint=f"check the images folder given with {self.path.name}",
        )
        instances = []
        for ann in sorted(self.annotations.get(image_id, []), key=lambda a: a["id"]):
            instance = self.instance(ann, height, width)
            instance.texts = list((texts or {}).get(instance.id, []))
            instances.append(instance)
        return SourceImage(
            key=f"{self.dataset}-{image_id}",
            file_name=image_file_name(record),
            width=width,
            height=height,
            instances=instances,
            load_bytes=read_file_bytes(path),
            dataset=self.dataset,
            license=license,
            captions=list(captions or []),
            extra={"source_image_id": image_id, **(extra or {})},
            exhaustive=exhaustive,
        )


class CocoReader(AnnotatedReader):
    """COCO 2017 instances, with the captions of the same images when a captions file is given."""

    name = "coco"
    license = COCO_LICENSE

    def __init__(
        self,
        instances_json: str | Path,
        images_dir: str | Path,
        captions_json: str | Path | None = None,
        shard_size: int = 500,
        skip_errors: bool = False,
    ):
        super().__init__(skip_errors, shard_size)
        self.instances_json = Path(instances_json)
        self.images_dir = Path(images_dir)
        self.captions_json = Path(captions_json) if captions_json else None
        self._index: CocoIndex | None = None
        self._captions: dict[Any, list[str]] | None = None

    @property
    def prefix(self) -> str:
        return f"{self.name}/{self.instances_json.stem}"

    def index(self) -> CocoIndex:
        if self._index is None:
            self._index = CocoIndex(self.instances_json, self.images_dir, self.name)
        return self._index

    def categories(self) -> list[tuple[str, str | None]]:
        return self.index().category_names()

    def captions(self) -> dict[Any, list[str]]:
        if self._captions is None:
            self._captions = defaultdict(list)
            if self.captions_json is not None:
                data = load_json(self.captions_json)
                require_fields(data, ("annotations",), str(self.captions_json))
                for index, ann in enumerate(data["annotations"]):
                    require_fields(
                        ann, ("image_id", "caption"), f"{self.captions_json}, annotations[{index}]"
                    )
                    self._captions[ann["image_id"]].append(str(ann["caption"]).strip())
        return self._captions

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["_captions"] = None
        return state

    def _keys(self) -> list[Any]:
        return self.index().image_ids

    def read_shard(self, shard: str) -> Iterator[SourceImage]:
        index, captions = self.index(), self.captions()
        yield from self._read_chunk(
            shard,
            str(self.instances_json),
            lambda image_id: index.source_image(image_id, captions=captions.get(image_id, [])),
        )
