"""SA-1B reader: one JSON per image with compressed RLE masks and no categories.

API:
  Sa1bReader(folder, shard_size=200, min_predicted_iou=0.0, skip_errors=False)

Format (upstream, exactly): ``sa_<n>.json`` = ``{image: {image_id, width, height, file_name},
annotations: [{id, segmentation: compressed RLE, area, bbox, predicted_iou, stability_score,
point_coords, crop_box}]}``, the image file beside it. Instances have ``category=None``;
``predicted_iou`` and ``stability_score`` are kept in ``Instance.extra``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from perbench.errors import SourceError
from perbench.limits import check_count
from perbench.masks import to_rle
from perbench.sources.annotated import (
    IMAGE_FIELDS,
    AnnotatedReader,
    load_json,
    require_fields,
)
from perbench.sources.base import Instance, SourceImage, image_file

SA1B_LICENSE = "SA-1B Dataset Research License (Meta AI)"


class Sa1bReader(AnnotatedReader):
    """A folder of SA-1B ``sa_*.json`` files with their images."""

    name = "sa1b"
    license = SA1B_LICENSE

    def __init__(
        self,
        folder: str | Path,
        shard_size: int = 200,
        min_predicted_iou: float = 0.0,
        skip_errors: bool = False,
    ):
        super().__init__(skip_errors, shard_size)
        self.folder = Path(folder)
        self.min_predicted_iou = min_predicted_iou
        self._index: list[Path] | None = None

    @property
    def prefix(self) -> str:
        return f"{self.name}/{self.folder.name}"

    def index(self) -> list[Path]:
        if self._index is None:
            if not self.folder.is_dir():
                raise SourceError("SA-1B folder not found", where=str(self.folder))
            self._index = sorted(self.folder.glob("*.json"))
            if not self._index:
                raise SourceError("no SA-1B *.json annotation files here", where=str(self.folder))
        return self._index

    def _keys(self) -> list[Path]:
        return self.index()

    def read_shard(self, shard: str) -> Iterator[SourceImage]:
        yield from self._read_chunk(shard, str(self.folder), self._image)

    def _image(self, path: Path) -> SourceImage:
        data = require_fields(
            load_json(path), ("image", "annotations"), str(path), {"annotations": "list"}
        )
        record = require_fields(
            data["image"],
            ("image_id", "width", "height", "file_name"),
            f"{path}, image",
            {"image_id": "id", **IMAGE_FIELDS},
        )
        height, width = int(record["height"]), int(record["width"])
        check_count("instances_per_image", len(data["annotations"]), str(path), SourceError)
        image_path = image_file(
            path.parent, record["file_name"], f"{path}, image", record["image_id"]
        )
        instances = []
        for position, ann in enumerate(data["annotations"]):
            where = f"{path}, annotations[{position}]"
            require_fields(
                ann, ("id", "segmentation"), where, {"id": "id", "predicted_iou": "score"}
            )
            if float(ann.get("predicted_iou", 1.0)) < self.min_predicted_iou:
                continue
            instances.append(
                Instance(
                    id=str(ann["id"]),
                    mask=to_rle(
                        ann["segmentation"], height, width, where=f"{where} (id {ann['id']})"
                    ),
                    category=None,
                    extra={k: ann[k] for k in ("predicted_iou", "stability_score") if k in ann},
                )
            )
        return self._source_image(
            record["image_id"], record["file_name"], image_path, height, width, instances
        )
