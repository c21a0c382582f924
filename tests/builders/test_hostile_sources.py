"""Hostile source files (issue 12): paths that escape, broken images, hostile RLEs, STBench junk."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PIL import Image

from builders.build import build_store
from perbench.cli import main
from perbench.errors import ImageError, MaskError, SourceError
from perbench.images import DEFAULT_MAX_PIXELS, max_pixels, pixel_limit
from perbench.mask_checks import runs_to_counts
from perbench.sources.coco import CocoReader
from perbench.stbench import import_stbench
from tests.conftest import HEIGHT, WIDTH, coco_instances, write_jpeg


def _coco(tmp_path, file_name=None, segmentation=None):
    data = coco_instances()
    if file_name is not None:
        data["images"][1]["file_name"] = file_name
    if segmentation is not None:
        data["annotations"][3]["segmentation"] = segmentation
    (tmp_path / "instances.json").write_text(json.dumps(data))
    write_jpeg(tmp_path / "images" / "sub" / "000000000000.jpg")
    write_jpeg(tmp_path / "images" / "000000000007.jpg")
    return tmp_path / "instances.json", tmp_path / "images"


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink"])
def test_image_paths_that_leave_the_images_folder_are_refused(tmp_path, kind):
    secret = tmp_path / "secret.jpg"
    write_jpeg(secret)
    name = {"dotdot": "../secret.jpg", "absolute": str(secret), "symlink": "link.jpg"}[kind]
    instances, images = _coco(tmp_path, file_name=name)
    if kind == "symlink":
        os.symlink(secret, images / "link.jpg")
    reader = CocoReader(instances, images)
    with pytest.raises(SourceError, match="image id 7") as caught:
        list(reader)
    assert "outside" in str(caught.value) or "absolute" in str(caught.value)


def _broken_images(folder):
    (folder / "truncated.jpg").write_bytes(_jpeg_bytes()[:300])
    (folder / "notimage.jpg").write_bytes(b"this is not an image at all")
    Image.new("1", (20_000, 12_000)).save(folder / "bomb.png")  # 240 MP, compresses to KB


def _jpeg_bytes() -> bytes:
    import io

    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (HEIGHT, WIDTH, 3), dtype=np.uint8)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize("name", ["truncated.jpg", "notimage.jpg", "bomb.png"])
def test_broken_images_are_typed_errors_and_skip_errors_skips_them(tmp_path, name):
    instances, images = _coco(tmp_path, file_name=name)
    _broken_images(images)
    reader = CocoReader(instances, images)
    with pytest.raises(ImageError, match=name):
        build_store([reader], tmp_path / "s.db", progress=False)
    summary = build_store(
        [CocoReader(instances, images)], tmp_path / "k.db", config={"skip_errors": True},
        progress=False,
    )  # fmt: skip
    assert summary["skipped"]["image: broken image"] == 1 and summary["images"] == 1


def test_the_pixel_limit_can_be_raised(tmp_path):
    instances, images = _coco(tmp_path, file_name="big.png")
    Image.new("RGB", (WIDTH, HEIGHT)).save(images / "big.png")
    with pixel_limit(WIDTH * HEIGHT - 1), pytest.raises(ImageError, match="max-image-pixels"):
        build_store([CocoReader(instances, images)], tmp_path / "a.db", progress=False)
    out = tmp_path / "b.db"
    assert main(["build", f"coco:{instances}:{images}", "--out", str(out), "--no-progress",
                 "--max-image-pixels", str(WIDTH * HEIGHT)]) == 0  # fmt: skip
    assert max_pixels() == DEFAULT_MAX_PIXELS  # the command's limit ends with the command


def test_build_refuses_an_rle_with_zero_length_runs(tmp_path):
    runs = [5, 0, 0, 3, HEIGHT * WIDTH - 8]
    instances, images = _coco(tmp_path, segmentation={"size": [HEIGHT, WIDTH],
                                                      "counts": runs_to_counts(runs)})  # fmt: skip
    with pytest.raises(MaskError, match="zero-length run"):
        list(CocoReader(instances, images))


def _stbench(folder, entries, name="STBench_VRES.json"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(entries))
    return folder


@pytest.mark.parametrize("entries", [[1, 2], ["x"], [None], {"a": 1}])
def test_stbench_non_object_entries_are_clear_errors(tmp_path, entries):
    folder = _stbench(tmp_path / "st", entries)
    with pytest.raises(SourceError, match="STBench_VRES.json"):
        import_stbench(folder)
    assert main(["release", "import-stbench", str(folder), "--version", "1",
                 "--out", str(tmp_path / "r")]) == 2  # fmt: skip


@pytest.mark.parametrize("name", ["../secret.jpg", "/etc/hostname"])
def test_stbench_image_names_cannot_leave_the_images_folder(tmp_path, name):
    write_jpeg(tmp_path / "st" / "secret.jpg")
    (tmp_path / "st" / "images").mkdir(parents=True)
    rle = {"size": [HEIGHT, WIDTH], "counts": runs_to_counts([HEIGHT * WIDTH])}
    entry = {"image_name": name, "question": "<region1>?", "answer": "x",
             "segmentations": {"<region1>": rle}}  # fmt: skip
    folder = _stbench(tmp_path / "st", [entry])
    with pytest.raises(SourceError, match="item 0"):
        import_stbench(folder)


def test_stbench_refuses_an_rle_with_more_runs_than_pixels(tmp_path):
    write_jpeg(tmp_path / "st" / "images" / "a.jpg")
    bad = {"size": [HEIGHT, WIDTH], "counts": runs_to_counts([1] * (HEIGHT * WIDTH) + [0] * 9)}
    entry = {"image_name": "a.jpg", "question": "<region1>?", "answer": "x",
             "segmentations": {"<region1>": bad}}  # fmt: skip
    with pytest.raises(MaskError, match="zero-length run"):
        import_stbench(_stbench(tmp_path / "st", [entry]))
