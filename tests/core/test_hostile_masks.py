"""Hostile masks never reach pycocotools' C code: typed MaskErrors instead of crashes (issue 12).

Crashes (SIGSEGV, heap-overflow aborts) kill the interpreter, so every hostile call runs in a
child process and the test checks how the child ended.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from perbench import masks
from perbench.errors import MaskError
from perbench.mask_checks import runs_to_counts

FUZZ = Path(__file__).with_name("mask_fuzz.py")
EXAMPLES = int(os.environ.get("PERBENCH_FUZZ_EXAMPLES", "2000"))
GROUPS = [
    ["check_rle", "to_rle", "polygons", "decode", "area"],
    ["bbox", "encode", "empty_rle", "full_rle", "union_rle"],
    ["intersection_area", "union_area", "intersection_and_union", "iou", "read_png_mask"],
]


def _child(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g[0])
def test_fuzz_every_mask_entry_point_in_a_child(group, tmp_path):
    last = tmp_path / "last_input.txt"
    run = subprocess.run(
        [sys.executable, str(FUZZ), str(EXAMPLES), str(last), *group],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    replay = last.read_text()[:2000] if last.exists() else "(none)"
    assert run.returncode == 0, f"exit {run.returncode}\n{run.stderr[-3000:]}\nlast: {replay}"
    assert run.stdout.count(f" {EXAMPLES}\n") == len(group)


def test_huge_polygon_coordinate_is_a_mask_error_not_a_segfault():
    run = _child(
        """
        from perbench import masks
        from perbench.errors import MaskError
        for value in (1e9, -1e9, 2.0**62):
            try:
                masks.to_rle([[0, 0, value, 0, value, value]], 480, 640)
            except MaskError as exc:
                print("refused", exc)
        """
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("refused") == 3 and "within" in run.stdout


def test_zero_length_runs_and_more_runs_than_pixels_are_refused_before_merge():
    zero_runs = {"size": [4, 4], "counts": runs_to_counts([4, 0, 0, 0, 12])}
    too_many = {"size": [2, 2], "counts": runs_to_counts([1] * 4 + [0] * 50)}
    good = masks.full_rle(4, 4)
    run = _child(
        f"""
        from perbench import masks
        from perbench.errors import MaskError
        for rle, other in (({zero_runs!r}, {good!r}), ({too_many!r}, masks.full_rle(2, 2))):
            for call in (masks.union_rle, ):
                try:
                    call([rle, other], *rle["size"])
                except MaskError as exc:
                    print("refused", exc)
            try:
                masks.iou(rle, other)
            except MaskError as exc:
                print("refused", exc)
        """
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("refused") == 4 and "zero-length run" in run.stdout


def test_counts_are_checked_while_parsed_and_bounded():
    with pytest.raises(MaskError, match="cannot describe"):
        masks.check_rle({"size": [3, 3], "counts": "1" * 61})
    with pytest.raises(MaskError, match="longer than 6"):
        masks.check_rle({"size": [3, 3], "counts": "ooooooo0"})
    with pytest.raises(MaskError, match="more than 9"):
        masks.check_rle({"size": [3, 3], "counts": runs_to_counts([5, 5])})


def test_uncompressed_zero_runs_are_merged_into_a_valid_mask():
    rle = masks.to_rle({"size": [2, 3], "counts": [1, 0, 2, 3]}, 2, 3)
    assert masks.area(rle) == 3
    assert masks.decode(rle).flatten(order="F").tolist() == [0, 0, 0, 1, 1, 1]


def test_polygons_a_little_outside_the_image_rasterise_exactly_like_pycocotools():
    from pycocotools import mask as coco_mask

    polygon = [-30.5, -10.0, 70.25, 5.0, 40.0, 79.0, 3.0, 30.0]
    ours = masks.to_rle([polygon], 40, 50)
    theirs = coco_mask.merge(coco_mask.frPyObjects([polygon], 40, 50))
    assert ours["counts"] == theirs["counts"].decode()


def test_polygons_far_outside_are_clipped():
    square = masks.to_rle([[-500, -500, 505, -500, 505, 505, -500, 505]], 40, 50)
    assert masks.area(square) == 40 * 50


def test_empty_and_full_masks_of_large_images_need_no_dense_array():
    rle = masks.empty_rle(20_000, 20_000)
    assert masks.area(rle) == 0 and masks.area(masks.full_rle(20_000, 20_000)) == 4 * 10**8
