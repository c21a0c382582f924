"""One source image prepared for drafting: facts of every object, the selection, the vocabulary.

API:
  Scene.prepare(image, config, seed, vocabulary, category_counts) -> (Scene, skipped Counter)
  scene.base_sample(task, sample_id, question, prompts, objects, meta) -> Sample (draft)
  scene.cache                 derived per-image facts computed on first use (builders.claims)
  scene.peers(obj)            every non-crowd instance with obj's category (obj included)
  scene.count_known(category) whether instances of ``category`` are exhaustively annotated:
                              the build declares the source so (builders.completeness; else
                              the reader's own per-image declaration) and the image has no
                              crowd region or not-exhaustive mark for it. Claims that need it
                              are drafted only when it holds, or carry a need (builders.claims).

``vocabulary`` is the source's ``[(category, supercategory)]`` (reader.categories() when the
reader has it, else the categories seen in the shard so far); MCQ distractors come from it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from builders.completeness import declared
from builders.config import BUILDER_NAME, BUILDER_VERSION, BuildConfig
from builders.objects import ObjectFacts, object_facts
from builders.selection import image_rng, incomplete_categories, select_objects
from perbench.errors import SourceError
from perbench.render import load_rgb
from perbench.schema import Sample
from perbench.sources import SourceImage


def _exhaustive(config: BuildConfig, image: SourceImage) -> bool:
    found = declared(config, image.dataset)
    return image.exhaustive if found is None else found


@dataclass
class Scene:
    """An image with derived facts; ``margin`` is the relation margin in pixels."""

    image: SourceImage
    image_bytes: bytes
    config: BuildConfig
    seed: int
    facts: list[ObjectFacts]
    selected: list[ObjectFacts]
    incomplete: set[str]
    vocabulary: list[tuple[str, str | None]]
    margin: float
    exhaustive: bool = False
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def prepare(
        cls,
        image: SourceImage,
        config: BuildConfig,
        seed: int,
        vocabulary: list[tuple[str, str | None]],
        category_counts: Counter[str],
    ) -> tuple[Scene, Counter[str]]:
        image_bytes = image.load_bytes()
        rgb = load_rgb(image_bytes, where=f"{image.dataset} image {image.file_name} ({image.key})")
        if rgb.shape[:2] != (image.height, image.width):
            raise SourceError(
                f"image is {rgb.shape[1]}x{rgb.shape[0]} but its annotation says "
                f"{image.width}x{image.height}",
                where=f"{image.dataset} image {image.file_name}",
            )
        facts = object_facts(image, rgb, config.min_color_confidence, config.min_color_pixels)
        selected, skipped = select_objects(
            facts, config, image_rng(seed, image.key, "select"), category_counts
        )
        scene = cls(
            image=image,
            image_bytes=image_bytes,
            config=config,
            seed=seed,
            facts=facts,
            selected=selected,
            incomplete=incomplete_categories(image),
            vocabulary=vocabulary,
            margin=config.relation_margin * max(image.width, image.height),
            exhaustive=_exhaustive(config, image),
        )
        return scene, skipped

    def rng(self, *parts: Any) -> np.random.Generator:
        return image_rng(self.seed, self.image.key, *parts)

    def peers(self, obj: ObjectFacts) -> list[ObjectFacts]:
        return [f for f in self.facts if f.category == obj.category and not f.instance.iscrowd]

    def count_known(self, category: str | None) -> bool:
        return self.exhaustive and category is not None and category not in self.incomplete

    def base_sample(
        self,
        task: str,
        sample_id: str,
        question: str,
        prompts: list[ObjectFacts],
        meta: dict[str, Any],
        **fields: Any,
    ) -> Sample:
        image = self.image
        return Sample(
            id=sample_id,
            task=task,
            image_id=image.key,
            width=image.width,
            height=image.height,
            question=question,
            prompts=[
                {"tag": f"<region{i + 1}>", "mask": p.instance.mask} for i, p in enumerate(prompts)
            ],
            image=self.image_bytes,
            source={
                "dataset": image.dataset,
                "file_name": image.file_name,
                "image_id": str(image.extra.get("source_image_id", image.key)),
                "prompt_instance_ids": [p.instance.id for p in prompts],
                "license": image.license,
            },
            meta={
                "builder": {"name": BUILDER_NAME, "version": BUILDER_VERSION},
                "file_name": image.file_name,
                "draft": True,
                **meta,
            },
            **fields,
        )
