"""What must be checked before an accept, the reasons a decision records, and outlines that stand
out from the photo under them."""

from __future__ import annotations

import numpy as np
import pytest

from perbench.masks import encode
from perbench.render import PROMPT_COLORS
from review_ui.checks import (
    ReviewCheckError,
    edit_reasons,
    need_reason,
    needs_html,
    refuse_accept,
    reject_reasons,
    sentence_choices,
)
from review_ui.overlay import BLACK, WHITE, draw_overlay, halo_color
from tests.review_ui.conftest import complete_need


@pytest.fixture
def sample(store):
    description = next(store.candidates("description"))
    return description.copy_with(references=["A chair. It is red.", "It has four legs."])


def _with_need(sample, need):
    return sample.copy_with(meta={**sample.meta, "needs": [need]})


def test_an_accept_waits_for_every_need_and_for_marked_statements(sample):
    from perbench.sources import ImgvizReader

    image = next(iter(ImgvizReader(("voc",))))
    need = complete_need(image, "chair")
    asked = _with_need(sample, need)
    with pytest.raises(ReviewCheckError, match="answer the question first: Is any chair"):
        refuse_accept(asked, [], [])
    refuse_accept(asked, [need["id"]], [])
    with pytest.raises(ReviewCheckError, match="statement 2 is marked false"):
        refuse_accept(asked, [need["id"]], [1])
    assert need_reason(asked, []) == {"code": "unannotated-object", "need": "complete:chair"}
    with pytest.raises(ReviewCheckError, match="already answered"):
        need_reason(asked, [need["id"]])
    shown = needs_html([{**need, "question": "<b>x</b>?"}])
    assert "8 annotated" in shown and "&lt;b&gt;x&lt;/b&gt;?" in shown


def test_reasons_of_rejects_and_edits(sample):
    assert [label for label, _ in sentence_choices(sample)] == [
        "1. A chair.",
        "2. It is red.",
        "3. It has four legs.",
    ]
    assert reject_reasons(sample, [2, 0], None, "") == [
        {"code": "false-statement", "sentence": 0},
        {"code": "false-statement", "sentence": 2},
    ]
    assert reject_reasons(sample, [], "other", " blurry ") == [{"code": "other", "note": "blurry"}]
    with pytest.raises(ReviewCheckError, match="pick a reject reason"):
        reject_reasons(sample, [], None, "")
    with pytest.raises(ReviewCheckError, match="needs a note"):
        reject_reasons(sample, [], "other", " ")
    with pytest.raises(ReviewCheckError, match="not one of 3"):
        reject_reasons(sample, [3], None, "")
    assert edit_reasons(sample, {"references": []}, [1], None, "") == [
        {"code": "false-statement", "sentence": 1}
    ]
    implied = edit_reasons(sample, {"targets": [], "prompts": [], "question": "q"}, [], None, "")
    assert implied == [{"code": "wrong-target"}, {"code": "bad-mask"}, {"code": "bad-wording"}]


def test_an_outline_stands_out_on_pixels_of_its_own_colour():
    """The issue: a red prompt on red chairs was nearly invisible."""
    red = np.array(PROMPT_COLORS[0], np.uint8)
    rgb = np.zeros((120, 160, 3), np.uint8)
    rgb[:, :] = red  # a red chair fills the photo
    mask = np.zeros((120, 160), np.uint8)
    mask[30:90, 40:120] = 1
    drawn = draw_overlay(rgb, [{"tag": "<region1>", "mask": encode(mask)}], None, [])
    ring = drawn[28:92, 38:122].astype(int)
    distance = np.abs(ring - red.astype(int)).sum(axis=2)
    assert (distance > 300).sum() > 200  # a halo far from the red beneath
    assert halo_color(np.full((4, 3), 250)) == BLACK and halo_color(np.zeros((4, 3))) == WHITE


def test_needs_outline_every_annotated_instance_in_its_colour():
    rgb = np.full((100, 100, 3), 128, np.uint8)
    masks = []
    for x in (10, 60):
        mask = np.zeros((100, 100), np.uint8)
        mask[20:40, x : x + 20] = 1
        masks.append(encode(mask))
    orange = (255, 140, 0)
    drawn = draw_overlay(rgb, [], None, [(orange, masks)])
    for x in (10, 60):
        assert (drawn[20:40, x : x + 20] == orange).all(axis=2).sum() > 20
    assert (drawn[60:, :] == 128).all()  # nothing drawn away from the instances
