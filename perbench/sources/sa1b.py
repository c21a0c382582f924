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
from perbench.masks import to_rle
from perbench.sources.annotated import AnnotatedReader, chunk, chunk_names, load_json
from perbench.sources.base import Instance, SourceImage, confined_path, read_file_bytes
from perbench.sources.coco import _require

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
        skip_errors=False,
    ):
        super().__init__(skip_errors)
        self.folder = Path(folder)
        self.shard_size = shard_size
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

    def shards(self) -> list[str]:
        return chunk_names(len(self.index()), self.shard_size, self.prefix)

    def read_shard(self, shard: str) -> Iterator[SourceImage]:
        for path in chunk(self.index(), shard, self.shard_size, self.prefix, str(self.folder)):
            yield from self._guarded(lambda p=path: self._image(p))

    def _image(self, path: Path) -> SourceImage:
        data = _require(load_json(path), ("image", "annotations"), str(path))
        record = _require(
            data["image"], ("image_id", "width", "height", "file_name"), f"{path}, image"
        )
        height, width = int(record["height"]), int(record["width"])
        image_path = confined_path(path.parent, record["file_name"], f"{path}, image")
        if not image_path.is_file():
            raise SourceError(
                f"image file of image id {record['image_id']} not found", where=str(image_path)
            )
        instances = []
        for position, ann in enumerate(data["annotations"]):
            where = f"{path}, annotations[{position}]"
            _require(ann, ("id", "segmentation"), where)
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
        return SourceImage(
            key=f"{self.name}-{record['image_id']}",
            file_name=record["file_name"],
            width=width,
            height=height,
            instances=instances,
            load_bytes=read_file_bytes(image_path),
            dataset=self.name,
            license=self.license,
            extra={"source_image_id": record["image_id"]},
        )
