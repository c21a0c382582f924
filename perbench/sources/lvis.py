"""LVIS v1 reader: COCO-like instances with federated (not exhaustive / negative) labels.

API:
  LvisReader(annotations_json, images_dir, shard_size=500, skip_errors=False)

Format (upstream, exactly): COCO-like; images carry ``coco_url`` (the file name is its last
part), ``not_exhaustive_category_ids`` and ``neg_category_ids``; categories carry ``synonyms``,
``def`` and ``frequency`` (r/c/f); annotations have no ``iscrowd``.
Each SourceImage's ``extra`` holds ``not_exhaustive_categories`` (names whose instances may be
missing: the builders never count them or name them in a referring text) and
``negative_categories`` (names known to be absent: safe no-target and distractor names).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from perbench.errors import SourceError
from perbench.sources.annotated import readable
from perbench.sources.base import SourceImage
from perbench.sources.coco import CocoIndex, CocoReader

LVIS_LICENSE = "LVIS annotations CC BY 4.0; COCO images under their Flickr licences"


class LvisReader(CocoReader):
    """LVIS v1 annotations over COCO 2017 images."""

    name = "lvis"
    license = LVIS_LICENSE
    exhaustive = True
    completeness_note = "every category outside the image's not_exhaustive_category_ids"
    declares_per_image = True

    def __init__(
        self, annotations_json, images_dir, shard_size: int = 500, skip_errors: bool = False
    ):
        super().__init__(annotations_json, images_dir, None, shard_size, skip_errors)

    def _names(self, index: CocoIndex, ids: list[Any], where: str) -> list[str]:
        unknown = [i for i in ids if i not in index.categories]
        if unknown:
            raise SourceError(f"unknown category ids {unknown}", where=where)
        return sorted(readable(index.categories[i]["name"]) for i in ids)

    def read_shard(self, shard: str) -> Iterator[SourceImage]:
        index = self.index()
        yield from self._read_chunk(
            shard, str(self.instances_json), lambda image_id: self._image(index, image_id)
        )

    def _image(self, index: CocoIndex, image_id: Any) -> SourceImage:
        record = index.images[image_id]
        where = f"{self.instances_json}, image id {image_id}"
        extra = {
            "not_exhaustive_categories": self._names(
                index, list(record.get("not_exhaustive_category_ids", [])), where
            ),
            "negative_categories": self._names(
                index, list(record.get("neg_category_ids", [])), where
            ),
        }
        return index.source_image(image_id, extra=extra, license=self.license, exhaustive=True)
