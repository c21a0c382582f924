"""gRefCOCO reader: generalised referring expressions (multi-target and no-target).

API:
  GRefCocoReader(grefs_path, instances_json, images_dir, splits=None, shard_size=500,
                 skip_errors=False)

Format (upstream, exactly): ``grefs(unc).json`` (or the same list pickled as ``.p``): refs like
RefCOCO's but ``ann_id`` and ``category_id`` are lists, and ``ann_id == [-1]`` marks an
expression with no target. Single-target expressions become ``Instance.texts``; every
expression, with its target instance ids (``[]`` for no target), is kept in
``SourceImage.extra["expressions"]``.
"""

from __future__ import annotations

from typing import Any

from perbench.errors import SourceError
from perbench.sources.annotated import load_json, load_pickle, require_fields
from perbench.sources.coco import CocoIndex
from perbench.sources.refcoco import REF_FIELDS, RefCocoReader, _sentences

NO_TARGET = -1


class GRefCocoReader(RefCocoReader):
    """gRefCOCO expressions over their COCO instances."""

    name = "grefcoco"
    license = "gRefCOCO expressions (MIT, henghuiding/gRefCOCO); COCO images and instances"

    def __init__(
        self, grefs_path, instances_json, images_dir, splits=None, shard_size=500, skip_errors=False
    ):
        super().__init__(
            grefs_path, instances_json, images_dir, splits, "grefcoco", shard_size, skip_errors
        )

    def _read_refs(self) -> Any:
        if self.refs_path.suffix == ".p":
            return load_pickle(self.refs_path)
        return load_json(self.refs_path)

    def _parse_ref(self, ref: Any, coco: CocoIndex, where: str) -> tuple[Any, list[str], list[str]]:
        if not isinstance(ref, dict) or not {"ref_id", "ann_id", "image_id", "split"} <= set(ref):
            raise SourceError(
                "a gref needs ref_id, ann_id (a list), image_id, split, sentences", where=where
            )
        ann_ids = ref["ann_id"]
        if not isinstance(ann_ids, list) or not ann_ids:
            raise SourceError(
                "gRefCOCO 'ann_id' must be a non-empty list ([-1] = no target)", where=where
            )
        require_fields(ref, (), where, {**REF_FIELDS, "ann_id": "list"})
        for ann_id in ann_ids:
            require_fields({"ann_id": ann_id}, (), where, {"ann_id": "id"})
        if ref["image_id"] not in coco.images:
            raise SourceError(
                f"image id {ref['image_id']} is not in {self.instances_json.name}", where=where
            )
        if ann_ids == [NO_TARGET]:
            return ref["image_id"], [], _sentences(ref, where)
        known = {a["id"] for a in coco.annotations.get(ref["image_id"], [])}
        unknown = [a for a in ann_ids if a not in known]
        if unknown:
            raise SourceError(
                f"ann_id {unknown} are not annotations of image {ref['image_id']}", where=where
            )
        return ref["image_id"], [str(a) for a in ann_ids], _sentences(ref, where)
