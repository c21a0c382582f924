"""RefCOCO / RefCOCO+ / RefCOCOg reader (refer toolkit layout).

API:
  RefCocoReader(refs_path, instances_json, images_dir, splits=None, dataset=None,
                shard_size=500, skip_errors=False)

Format (upstream, exactly): ``refs(unc).p`` / ``refs(umd).p`` / ``refs(google).p``, a pickled
list of ``{ref_id, ann_id, image_id, category_id, split, file_name, sent_ids,
sentences[{sent_id, sent, raw, tokens}]}``, beside a COCO-format ``instances.json`` of train2014
images. The pickle is read only from the path the user names, by an unpickler that refuses any
class or function (plain lists, dicts, strings and numbers only).
Each referred instance gets its expressions in ``Instance.texts``; only images with a ref in
``splits`` (all splits when None) are read. ``dataset`` defaults to the pickle's folder name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from perbench.errors import SourceError
from perbench.sources.annotated import AnnotatedReader, load_pickle, require_fields, sorted_ids
from perbench.sources.base import SourceImage
from perbench.sources.coco import COCO_LICENSE, CocoIndex

REF_FIELDS = {"ref_id": "id", "ann_id": "id", "image_id": "id", "split": "text"}
REFER_DATASETS = ("refcoco", "refcoco+", "refcocog", "grefcoco")


def _sentences(ref: dict[str, Any], where: str) -> list[str]:
    sentences = ref.get("sentences")
    if not isinstance(sentences, list):
        raise SourceError("'sentences' must be a list of {sent_id, sent, ...}", where=where)
    texts = []
    for index, sentence in enumerate(sentences):
        if not isinstance(sentence, dict) or not isinstance(sentence.get("sent"), str):
            raise SourceError(f"sentences[{index}] has no 'sent' string", where=where)
        texts.append(sentence["sent"].strip())
    return [t for t in texts if t]


class RefCocoReader(AnnotatedReader):
    """Referring expressions of the refer toolkit over their COCO instances."""

    name = "refcoco"
    license = "RefCOCO expressions (Apache-2.0 refer toolkit); " + COCO_LICENSE

    def __init__(
        self,
        refs_path: str | Path,
        instances_json: str | Path,
        images_dir: str | Path,
        splits: list[str] | None = None,
        dataset: str | None = None,
        shard_size: int = 500,
        skip_errors: bool = False,
    ):
        super().__init__(skip_errors, shard_size)
        self.refs_path = Path(refs_path)
        self.instances_json = Path(instances_json)
        self.images_dir = Path(images_dir)
        self.splits = list(splits) if splits else None
        folder = self.refs_path.parent.name.lower()
        self.dataset = dataset or (folder if folder in REFER_DATASETS else self.name)
        self._index: dict[str, Any] | None = None

    @property
    def prefix(self) -> str:
        return f"{self.dataset}/{self.refs_path.name}"

    def _read_refs(self) -> Any:
        return load_pickle(self.refs_path)

    def _parse_ref(self, ref: Any, coco: CocoIndex, where: str) -> tuple[Any, list[str], list[str]]:
        """``(image_id, instance ids, texts)`` of one ref."""
        if not isinstance(ref, dict) or not {"ref_id", "ann_id", "image_id", "split"} <= set(ref):
            raise SourceError(
                "a ref needs ref_id, ann_id, image_id, split and sentences", where=where
            )
        require_fields(ref, (), where, REF_FIELDS)
        if ref["image_id"] not in coco.images:
            raise SourceError(
                f"image id {ref['image_id']} is not in {self.instances_json.name}", where=where
            )
        known = {a["id"] for a in coco.annotations.get(ref["image_id"], [])}
        if ref["ann_id"] not in known:
            raise SourceError(
                f"ann_id {ref['ann_id']} is not an annotation of image {ref['image_id']}",
                where=where,
            )
        return ref["image_id"], [str(ref["ann_id"])], _sentences(ref, where)

    def index(self) -> dict[str, Any]:
        if self._index is None:
            coco = CocoIndex(self.instances_json, self.images_dir, self.dataset)
            refs = self._read_refs()
            if not isinstance(refs, list):
                raise SourceError("refs must be a list of ref objects", where=str(self.refs_path))
            texts: dict[Any, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
            expressions: dict[Any, list[dict[str, Any]]] = defaultdict(list)
            for position, ref in enumerate(refs):
                ref_id = ref.get("ref_id", "?") if isinstance(ref, dict) else "?"
                where = f"{self.refs_path}, ref {position} (ref_id {ref_id})"
                image_id, instance_ids, sentences = self._parse_ref(ref, coco, where)
                if self.splits is not None and ref["split"] not in self.splits:
                    continue
                if len(instance_ids) == 1:
                    texts[image_id][instance_ids[0]].extend(sentences)
                for sentence in sentences:
                    expressions[image_id].append(
                        {"text": sentence, "instance_ids": instance_ids, "split": ref["split"]}
                    )
            image_ids = sorted_ids(expressions)
            self._index = {
                "coco": coco,
                "texts": texts,
                "expressions": expressions,
                "image_ids": image_ids,
            }
        return self._index

    def categories(self) -> list[tuple[str, str | None]]:
        return self.index()["coco"].category_names()

    def _keys(self) -> list[Any]:
        return self.index()["image_ids"]

    def read_shard(self, shard: str) -> Iterator[SourceImage]:
        index = self.index()
        yield from self._read_chunk(
            shard,
            str(self.refs_path),
            lambda image_id: index["coco"].source_image(
                image_id,
                texts=index["texts"].get(image_id, {}),
                extra={"expressions": index["expressions"][image_id]},
                license=self.license,
                namespace=self.namespace,
            ),
        )
