"""A mask is checked once, where it enters: ValidRLE is never scanned again, and stays valid."""

from __future__ import annotations

import copy
import json
import pickle

import numpy as np
import pytest

from perbench import masks
from perbench.errors import MaskError


@pytest.fixture
def scans(monkeypatch) -> list[int]:
    """Counts the calls of the counts scanner that ``perbench.masks`` uses."""
    calls: list[int] = []
    real = masks.scan_counts

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(masks, "scan_counts", counted)
    return calls


def plain(mask: np.ndarray) -> dict:
    return dict(masks.encode(mask))


def test_a_checked_mask_is_not_scanned_again_by_any_metric(scans):
    block = np.zeros((30, 40), bool)
    block[5:20, 10:30] = True
    other = np.roll(block, 4, axis=1)
    a = masks.check_rle(plain(block), (30, 40))
    b = masks.check_rle(json.loads(json.dumps(plain(other))), (30, 40))
    assert len(scans) == 2 and isinstance(a, masks.ValidRLE)
    inter, union = int((block & other).sum()), int((block | other).sum())
    assert masks.intersection_and_union(a, b) == (inter, union)
    assert masks.iou(a, b) == inter / union
    assert masks.area(a) == block.sum() and masks.bbox(a) == [10.0, 5.0, 20.0, 15.0]
    assert masks.union_rle([a, b], 30, 40) == masks.encode(block | other)
    assert masks.check_rle(a, (30, 40)) is a
    assert len(scans) == 2


def test_a_plain_dict_is_still_scanned_before_c_sees_it(scans):
    corrupt = {"size": [3, 3], "counts": "0:"}  # runs cover 10 of 9 pixels
    with pytest.raises(MaskError, match="corrupt RLE counts"):
        masks.area(corrupt)
    assert len(scans) == 1


def test_made_masks_are_valid_without_a_scan(scans):
    made = [
        masks.encode(np.eye(5, dtype=bool)),
        masks.empty_rle(4, 6),
        masks.full_rle(4, 6),
        masks.to_rle([[0, 0, 5, 0, 5, 3]], 4, 6),
        masks.to_rle({"size": [2, 2], "counts": [1, 0, 0, 2, 1]}),
    ]
    assert all(isinstance(rle, masks.ValidRLE) for rle in made)
    assert scans == []
    assert masks.area(made[4]) == 2


def test_a_checked_mask_cannot_be_changed_into_an_invalid_one():
    rle = masks.full_rle(2, 2)
    with pytest.raises(TypeError, match="read-only"):
        rle["counts"] = "zzz"
    with pytest.raises(TypeError, match="read-only"):
        rle.update(counts="zzz")
    with pytest.raises(TypeError, match="read-only"):
        rle |= {"counts": "zzz"}
    copied = dict(rle)
    copied["counts"] = "0:"
    with pytest.raises(MaskError):
        masks.area(copied)
    assert copy.deepcopy(rle) is rle and masks.area(rle) == 4


def test_a_pickled_mask_is_checked_again_on_load():
    rle = masks.full_rle(2, 2)
    assert pickle.loads(pickle.dumps(rle)) == rle
    forged = pickle.dumps(rle).replace(rle["counts"].encode(), b"0:")
    with pytest.raises(MaskError, match="corrupt RLE counts"):
        pickle.loads(forged)


def test_size_is_still_compared_against_the_image():
    with pytest.raises(MaskError, match="differs from the image size"):
        masks.check_rle(masks.full_rle(2, 2), (3, 2))
