"""EXIF orientation (issue 20): a photo whose EXIF says "rotate" is stored with orientation 1, so
``datasets.load_dataset`` decodes it at the size the release records and under its masks."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image, ImageOps

from builders.build import build_store
from builders.synthetic import write_coco_source
from perbench.masks import decode
from perbench.orientation import neutral_orientation
from perbench.release import write_release
from perbench.stbench import export_stbench, import_stbench
from perbench.store import CandidateStore

WIDTH, HEIGHT = 160, 120


def _rotated(image: Image.Image, fmt: str, orientation: int = 6) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, exif=exif.tobytes())
    return buffer.getvalue()


def _seen_by_datasets(data: bytes) -> Image.Image:
    """What ``datasets`` decodes: PIL, then the EXIF rotation applied."""
    return ImageOps.exif_transpose(Image.open(io.BytesIO(data)))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_the_orientation_is_made_neutral_and_the_pixels_kept(fmt, orientation):
    raw = np.random.default_rng(0).integers(0, 255, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    data = _rotated(Image.fromarray(raw), fmt, orientation)
    assert _seen_by_datasets(data).size == (HEIGHT, WIDTH) or orientation == 3
    fixed = neutral_orientation(data)
    assert Image.open(io.BytesIO(fixed)).getexif().get(0x0112) in (None, 1)
    assert _seen_by_datasets(fixed).size == (WIDTH, HEIGHT)
    before = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(fixed)).convert("RGB")), before)
    if fmt == "JPEG":
        assert len(fixed) == len(data)  # two bytes patched, nothing re-encoded


def test_a_png_with_exif_in_a_text_chunk_is_written_again_without_it():
    from PIL.PngImagePlugin import PngInfo

    exif = Image.Exif()
    exif[0x0112] = 6
    blob = b"Exif\x00\x00" + exif.tobytes()
    info = PngInfo()
    info.add_text("Raw profile type exif", f"\nexif\n{len(blob):8d}\n{blob.hex()}\n", zip=True)
    buffer = io.BytesIO()
    Image.new("RGB", (WIDTH, HEIGHT), (10, 20, 30)).save(buffer, format="PNG", pnginfo=info)
    assert _seen_by_datasets(buffer.getvalue()).size == (HEIGHT, WIDTH)
    assert _seen_by_datasets(neutral_orientation(buffer.getvalue())).size == (WIDTH, HEIGHT)


def test_an_image_without_orientation_is_left_as_it_is():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6)).save(buffer, format="JPEG")
    assert neutral_orientation(buffer.getvalue()) == buffer.getvalue()


def _load(release, task):
    import datasets

    return datasets.load_dataset(
        "parquet", data_files=str(release / task / "*.parquet"), split="train"
    )


def _rows_line_up(release, task):
    rows = list(_load(release, task))
    assert rows
    for row in rows:
        assert row["image"].size == (row["width"], row["height"]), row["id"]
        for prompt in row["prompts"]:
            assert prompt["mask"]["size"] == [row["height"], row["width"]]
            mask = decode({"size": prompt["mask"]["size"], "counts": prompt["mask"]["counts"]})
            assert mask.shape == np.asarray(row["image"]).shape[:2]


def test_a_rotated_coco_photo_loads_upright_through_load_dataset(tmp_path):
    instances, images_dir, captions = write_coco_source(
        tmp_path / "coco", 2, size=(WIDTH, HEIGHT), seed=4
    )
    for path in images_dir.glob("*.jpg"):
        path.write_bytes(_rotated(Image.open(path).convert("RGB"), "JPEG"))
    from perbench.sources.coco import CocoReader

    store_path = tmp_path / "s.db"
    config = {"tasks": ["mcq", "description"]}
    build_store([CocoReader(instances, images_dir, captions)], store_path, config=config)
    samples = list(CandidateStore(store_path).candidates(with_image=True))
    release = write_release(samples, tmp_path / "rel", "pb", "1", progress=False)
    _rows_line_up(release, "mcq")
    _rows_line_up(release, "description")


def test_a_rotated_stbench_image_loads_upright_after_import(tmp_path):
    from tests.core.conftest import make_samples

    source = write_release(make_samples(1), tmp_path / "src", "pb", "1", progress=False)
    folder = tmp_path / "stbench"
    export_stbench(source, folder)
    for path in (folder / "images").iterdir():
        image = Image.open(path).convert("RGB")
        path.write_bytes(_rotated(image, "JPEG" if path.suffix == ".jpg" else "PNG"))
    names = json.loads((folder / "STBench_MCQ.json").read_text())
    assert names
    imported = write_release(import_stbench(folder), tmp_path / "imp", "pb", "2", progress=False)
    _rows_line_up(imported, "mcq")
