from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from builders.drafters.base import check_draft
from perbench.masks import area, decode, empty_rle, encode
from perbench.render import PROMPT_COLORS, TARGET_COLOR
from review_ui.view import (
    FLAGS_TITLE,
    NEW_TARGET,
    ReviewEditError,
    ViewMaker,
    apply_mask,
    draft_markdown,
    mask_slots,
)


def _sample(store, task):
    return next(store.candidates(task))


def test_overlay_shows_prompt_and_target_colours(store, tmp_path):
    views = ViewMaker(store, tmp_path / "display")
    sample = _sample(store, "vt_res")
    view = views.prepare(sample.id)
    shown = np.asarray(Image.open(view.image_path).convert("RGB")).astype(int)
    plain = views.rgb(sample.image_id).astype(int)
    for mask, color in (
        (sample.prompts[0]["mask"], PROMPT_COLORS[0]),
        (sample.targets[0], TARGET_COLOR),
    ):
        inside = decode(mask).astype(bool)
        # the tint moves pixels towards the colour: closer than the plain photo was
        before = np.abs(plain[inside] - color).sum(axis=1).mean()
        after = np.abs(shown[inside] - color).sum(axis=1).mean()
        assert after < 0.75 * before


def test_edits_change_the_view_not_the_store(store, tmp_path):
    views = ViewMaker(store, tmp_path / "display")
    sample = _sample(store, "mcq")
    view = views.prepare(sample.id, {"options": ["x", "y"], "answer": 1})
    assert "B. y **&#10004; correct**" in view.draft_markdown
    assert store.candidate(sample.id).options == sample.options


def test_draft_markdown_escapes_tags(store):
    sample = _sample(store, "description")
    text = draft_markdown(sample.copy_with(references=["the <b>cup</b> near <region1>"]))
    assert "&lt;region1&gt;" in text and "<b>" not in text
    no_target = _sample(store, "vt_res").copy_with(targets=[])
    assert "No target" in draft_markdown(no_target)


def test_draft_markdown_heads_with_the_builders_flags_escaped(store):
    sample = _sample(store, "description")
    facts = {"colors": [("blue", 0.9)], "count_in_image": 3, "category": "chair"}
    flags = check_draft("Two red chairs stand by the table.", facts)  # what builders store
    hostile = "says <img src=x onerror=alert(1)> chairs"
    text = draft_markdown(sample.copy_with(meta={**sample.meta, "flags": [*flags, hostile]}))
    assert text.startswith(f"<strong style='color:#b91c1c'>{FLAGS_TITLE}</strong>")
    assert "colour 'red' is not among the measured colours ['blue']" in text
    assert "says two chairs but 3 are annotated" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text and "<img" not in text
    assert FLAGS_TITLE not in draft_markdown(sample)  # no flags, no warning


def test_mask_slots_and_apply_mask(store):
    sample = _sample(store, "vt_res")
    assert mask_slots(sample) == ["<region1>", "target 1", NEW_TARGET]
    h, w = sample.height, sample.width
    box = np.zeros((h, w), np.uint8)
    box[10:50, 20:80] = 1
    assert apply_mask(sample, NEW_TARGET, encode(box))["targets"][1] == encode(box)
    assert apply_mask(sample, "target 1", empty_rle(h, w)) == {"targets": []}
    prompts = apply_mask(sample, "<region1>", encode(box))["prompts"]
    assert area(prompts[0]["mask"]) == 40 * 60
    with pytest.raises(ReviewEditError, match="cannot be empty"):
        apply_mask(sample, "<region1>", empty_rle(h, w))
    with pytest.raises(ReviewEditError, match="no mask 'target 7'"):
        apply_mask(sample, "target 7", encode(box))
    assert mask_slots(_sample(store, "mcq")) == ["<region1>"]


def test_instances_are_distinct_masks_of_the_image(store, tmp_path):
    views = ViewMaker(store, tmp_path / "display")
    ids = store.candidate_ids()
    labels = [label for label, _ in views.instances(ids)]
    # 3 prompt instances + 3 target instances, two of which are also prompts
    assert len(labels) == 4 and labels[0].startswith("#1 ")
