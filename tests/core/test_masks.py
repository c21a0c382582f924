"""Mask codec: RLE arithmetic against dense numpy (property tests) and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from perbench import masks
from perbench.errors import MaskError


@st.composite
def mask_pairs(draw):
    height = draw(st.integers(1, 37))
    width = draw(st.integers(1, 41))
    kind = st.sampled_from(["random", "empty", "full"])

    def one():
        chosen = draw(kind)
        if chosen == "empty":
            return np.zeros((height, width), bool)
        if chosen == "full":
            return np.ones((height, width), bool)
        return draw(arrays(bool, (height, width)))

    return one(), one()


@settings(max_examples=300, deadline=None)
@given(mask_pairs())
def test_rle_arithmetic_matches_dense(pair):
    a, b = pair
    ra, rb = masks.encode(a), masks.encode(b)
    assert np.array_equal(masks.decode(ra), a)
    assert masks.area(ra) == a.sum()
    inter, union = int((a & b).sum()), int((a | b).sum())
    assert masks.intersection_area(ra, rb) == inter
    assert masks.union_area(ra, rb) == union
    assert masks.intersection_and_union(ra, rb) == (inter, union)
    expected = 1.0 if union == 0 else inter / union
    assert masks.iou(ra, rb) == pytest.approx(expected)
    assert np.array_equal(masks.decode(masks.union_rle([ra, rb], *a.shape)), a | b)
    assert masks.check_rle(ra, a.shape) == ra


def test_empty_masks_have_defined_iou():
    empty = masks.empty_rle(4, 6)
    assert masks.area(empty) == 0
    assert masks.iou(empty, empty) == 1.0
    assert masks.iou(empty, empty, empty_iou=0.0) == 0.0
    assert masks.iou(empty, masks.full_rle(4, 6)) == 0.0
    assert masks.bbox(empty) == [0.0, 0.0, 0.0, 0.0]


def test_union_of_nothing_is_empty_mask():
    assert masks.area(masks.union_rle([], 3, 5)) == 0


@pytest.mark.parametrize(
    "counts, message",
    [
        ("abc", "middle of a number"),
        ("0" * 3, "zero-length run"),
        ("1", "cover"),
        ("\x7f\x7f", "alphabet"),
        (12, "must be a string"),
    ],
)
def test_corrupt_counts_raise_typed_error(counts, message):
    with pytest.raises(MaskError, match=message):
        masks.check_rle({"size": [10, 10], "counts": counts}, where="pred.jsonl line 3")


def test_corrupt_error_names_where():
    with pytest.raises(MaskError, match="pred.jsonl line 3"):
        masks.check_rle({"size": [10, 10], "counts": "abc"}, where="pred.jsonl line 3")


def test_negative_run_is_corrupt():
    rle = masks.encode(np.eye(5, dtype=bool))
    # 'Q' sets the sign bit: a negative delta that drives a run length below zero
    with pytest.raises(MaskError):
        masks.check_rle({"size": [5, 5], "counts": "0" + "Q" + rle["counts"][2:]})


def test_wrong_size_is_reported():
    rle = masks.encode(np.ones((4, 4), bool))
    with pytest.raises(MaskError, match="differs from the image size 5x4"):
        masks.check_rle(rle, (5, 4))
    with pytest.raises(MaskError, match="size"):
        masks.check_rle({"size": [4], "counts": rle["counts"]})
    with pytest.raises(MaskError, match="'size' and 'counts'"):
        masks.check_rle([1, 2, 3])


def test_polygon_and_uncompressed_rle_conversion():
    polygon = [[1, 1, 8, 1, 8, 6, 1, 6]]
    rle = masks.to_rle(polygon, 10, 12)
    dense = masks.decode(rle)
    assert dense.shape == (10, 12)
    assert dense[3, 4] == 1 and dense[0, 0] == 0
    uncompressed = {"size": [2, 3], "counts": [1, 2, 3]}
    expected = np.zeros(6, np.uint8)
    expected[1:3] = 1
    assert np.array_equal(masks.decode(masks.to_rle(uncompressed)), expected.reshape(3, 2).T)
    with pytest.raises(MaskError, match="sum to"):
        masks.to_rle({"size": [2, 3], "counts": [1, 2]})
    with pytest.raises(MaskError, match="3 points"):
        masks.to_rle([[1, 2, 3, 4]], 10, 10)
    with pytest.raises(MaskError, match="height and width"):
        masks.to_rle(polygon)


def test_png_masks(tmp_path):
    binary = np.zeros((6, 7), np.uint8)
    binary[2:4, 1:5] = 255
    Image.fromarray(binary).save(tmp_path / "m.png")
    assert masks.area(masks.read_png_mask(tmp_path / "m.png")) == 8
    panoptic = np.zeros((6, 7, 3), np.uint8)
    panoptic[1, 1] = (3, 1, 0)  # segment id 3 + 256 * 1 = 259
    Image.fromarray(panoptic).save(tmp_path / "p.png")
    assert masks.area(masks.read_png_mask(tmp_path / "p.png", value=259)) == 1
    grey_alpha = np.zeros((6, 7, 2), np.uint8)
    grey_alpha[0, :3, 0] = 255
    grey_alpha[..., 1] = 255
    Image.fromarray(grey_alpha).save(tmp_path / "la.png")
    assert masks.area(masks.read_png_mask(tmp_path / "la.png")) == 3
    with pytest.raises(MaskError, match="not found"):
        masks.read_png_mask(tmp_path / "missing.png")
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with pytest.raises(MaskError, match="cannot read"):
        masks.read_png_mask(tmp_path / "bad.png")


def test_comparing_masks_of_different_sizes_fails():
    with pytest.raises(MaskError, match="different sizes"):
        masks.iou(masks.empty_rle(2, 2), masks.empty_rle(3, 2))


def _counts_from_runs(runs: list[int]) -> str:
    """COCO's ``rleToString`` in Python, so tests can write counts pycocotools never makes."""
    chars = []
    for index, value in enumerate(runs):
        if index > 2:
            value -= runs[index - 2]
        more = True
        while more:
            char = value & 0x1F
            value >>= 5
            more = value != -1 if char & 0x10 else value != 0
            chars.append(chr((char | 0x20 if more else char) + 48))
    return "".join(chars)


def test_sizes_beyond_pycocotools_32_bit_runs_are_refused():
    huge = {"size": [70000, 70000], "counts": _counts_from_runs([70000 * 70000])}
    with pytest.raises(MaskError, match="too large"):
        masks.check_rle(huge)


def test_zero_sized_masks_are_refused_instead_of_crashing_pycocotools():
    zero = {"size": [0, 5], "counts": ""}
    with pytest.raises(MaskError, match="size"):
        masks.check_rle(zero)
    with pytest.raises(MaskError, match="size"):
        masks.iou(zero, zero)


@pytest.mark.parametrize("size", [[-1, -2], ["2", "1"], [True, 2]])
def test_uncompressed_rle_with_a_bad_size_is_a_mask_error(size):
    with pytest.raises(MaskError, match="size"):
        masks.to_rle({"size": size, "counts": [2]})


def test_union_of_masks_of_other_sizes_is_refused():
    with pytest.raises(MaskError, match="size"):
        masks.union_rle([masks.full_rle(2, 2), masks.full_rle(3, 3)], 2, 2)
    with pytest.raises(MaskError, match="size"):
        masks.union_rle([masks.full_rle(2, 2)], 3, 3)


def test_polygons_outside_the_image_are_clipped():
    assert masks.area(masks.to_rle([[100, 100, 200, 100, 200, 200]], 10, 10)) == 0
    square = masks.to_rle([[-5, -5, 5, -5, 5, 5, -5, 5]], 10, 10)
    assert masks.decode(square)[:5, :5].all() and masks.area(square) == 25
