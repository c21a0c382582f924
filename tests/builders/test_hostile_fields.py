"""Issue 20, group 4: source fields of the wrong type are SourceErrors naming the record (never a
traceback), an STBench MCQ with 11 option lines, and images bounded by memory."""

from __future__ import annotations

import json
import pickle

import pytest
from PIL import Image

from perbench.cli import main
from perbench.errors import ImageError, SourceError
from perbench.images import DEFAULT_MAX_PIXELS, decode_image
from perbench.mask_checks import runs_to_counts
from perbench.sources.coco import CocoReader
from perbench.sources.grefcoco import GRefCocoReader
from perbench.sources.panoptic import PanopticReader
from perbench.sources.refcoco import RefCocoReader
from perbench.sources.sa1b import Sa1bReader
from tests.conftest import HEIGHT, WIDTH, refs, write_jpeg


def _read_all(reader) -> None:
    for shard in reader.shards():
        list(reader.read_shard(shard))


@pytest.mark.parametrize(
    "section, index, field, value, message",
    [
        ("images", 1, "id", [7], "'id' must be an int or a string"),
        ("images", 1, "height", "tall", "'height' must be a whole number"),
        ("images", 1, "width", 1e400, "'width' must be a whole number"),
        ("images", 1, "height", None, "'height' must be a whole number"),
        ("annotations", 0, "image_id", {"a": 1}, "'image_id' must be an int or a string"),
        ("categories", 0, "name", 42, "'name' must be a string"),
        ("annotations", 0, "id", "mixed", None),  # mixed int/str annotation ids are sorted
    ],
)
def test_coco_fields_of_the_wrong_type(coco_dir, section, index, field, value, message):
    path = coco_dir / "instances.json"
    data = json.loads(path.read_text())
    data[section][index][field] = value
    text = json.dumps(data).replace("Infinity", "1e400")
    path.write_text(text)
    reader = CocoReader(path, coco_dir / "images")
    if message is None:
        _read_all(reader)
        return
    with pytest.raises(SourceError, match=message) as caught:
        _read_all(reader)
    assert f"{section}[{index}]" in str(caught.value)


def test_refcoco_unhashable_ids_are_named(refcoco_dir):
    bad = refs()
    bad[0]["image_id"] = [0]
    (refcoco_dir / "refcoco" / "refs(unc).p").write_bytes(pickle.dumps(bad, protocol=2))
    reader = RefCocoReader(
        refcoco_dir / "refcoco" / "refs(unc).p", refcoco_dir / "instances.json",
        refcoco_dir / "images",
    )  # fmt: skip
    with pytest.raises(SourceError, match="'image_id' must be an int or a string"):
        reader.shards()


def test_grefcoco_unhashable_ann_ids_are_named(grefcoco_dir):
    path = grefcoco_dir / "grefs(unc).json"
    grefs = json.loads(path.read_text())
    grefs[0]["ann_id"] = [[0], 2]
    path.write_text(json.dumps(grefs))
    reader = GRefCocoReader(path, grefcoco_dir / "instances.json", grefcoco_dir / "images")
    with pytest.raises(SourceError, match="ref 0"):
        reader.shards()


@pytest.mark.parametrize(
    "field, value, message",
    [("predicted_iou", "high", "predicted_iou"), ("id", {"x": 1}, "'id' must be")],
)
def test_sa1b_fields_of_the_wrong_type(sa1b_dir, field, value, message):
    path = sa1b_dir / "sa_11.json"
    record = json.loads(path.read_text())
    record["annotations"][0][field] = value
    path.write_text(json.dumps(record))
    with pytest.raises(SourceError, match=message):
        _read_all(Sa1bReader(sa1b_dir))


@pytest.mark.parametrize(
    "where, value, message",
    [("segment", "513", "panoptic id"), ("image", "tall", "'height'"), ("category", 7, "'name'")],
)
def test_panoptic_fields_of_the_wrong_type(panoptic_dir, where, value, message):
    path = panoptic_dir / "panoptic_val2017.json"
    data = json.loads(path.read_text())
    if where == "segment":
        data["annotations"][0]["segments_info"][0]["id"] = value
    elif where == "image":
        data["images"][0]["height"] = value
    else:
        data["categories"][0]["name"] = value
    path.write_text(json.dumps(data))
    reader = PanopticReader(path, panoptic_dir / "panoptic_val2017", panoptic_dir / "val2017")
    with pytest.raises(SourceError, match=message):
        _read_all(reader)


def test_stbench_mcq_with_eleven_option_lines_is_named(tmp_path, capsys):
    write_jpeg(tmp_path / "st" / "images" / "a.jpg")
    rle = {"size": [HEIGHT, WIDTH], "counts": runs_to_counts([HEIGHT * WIDTH])}
    options = "\n".join(f"{letter}. option {letter}" for letter in "ABCDEFGHIJ")
    question = f"What is <region1>?\n{options}\nJ. an eleventh"
    entry = {"image_name": "a.jpg", "mcqs": [{"question": question, "answer": "A", "object": rle}]}
    (tmp_path / "st" / "STBench_MCQ.json").write_text(json.dumps([entry]))
    code = main(["release", "import-stbench", str(tmp_path / "st"), "--version", "1",
                 "--out", str(tmp_path / "r")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "more than 10 option lines" in err and "question 0" in err


def test_the_default_pixel_limit_bounds_decoding_memory(tmp_path):
    side = int(DEFAULT_MAX_PIXELS**0.5) + 1  # just over the limit; compresses to a few KB
    path = tmp_path / "big.png"
    Image.new("1", (side, side)).save(path)
    with pytest.raises(ImageError, match="max-image-pixels"):
        decode_image(path, str(path))
    assert DEFAULT_MAX_PIXELS * 3 < 200 << 20  # an RGB decode stays under 200 MiB
