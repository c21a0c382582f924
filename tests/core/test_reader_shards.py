"""The shard loop every annotated reader shares (``AnnotatedReader._read_chunk``).

Each reader, on its upstream-format fixture: shard names, an unknown shard named with the
reader's file, and a missing image file that raises (naming the file and image id) or, with
``skip_errors``, is left out and counted.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from perbench.errors import SourceError
from perbench.sources.annotated import AnnotatedReader
from perbench.sources.coco import CocoReader
from perbench.sources.grefcoco import GRefCocoReader
from perbench.sources.lvis import LvisReader
from perbench.sources.panoptic import PanopticReader
from perbench.sources.refcoco import RefCocoReader
from perbench.sources.sa1b import Sa1bReader

Make = Callable[[Path, bool], AnnotatedReader]

# fixture, reader factory, shard head, file named for an unknown shard ({folder}: the fixture
# folder's name), image removed, its id, keys read without it
CASES: dict[str, tuple[str, Make, str, str, str, int, list[str]]] = {
    "coco": (
        "coco_dir",
        lambda d, skip: CocoReader(d / "instances.json", d / "images", skip_errors=skip),
        "coco/instances",
        "instances.json",
        "images/000000000007.jpg",
        7,
        ["coco.instances-0"],
    ),
    "lvis": (
        "lvis_dir",
        lambda d, skip: LvisReader(d / "lvis_v1_val.json", d / "val2017", skip_errors=skip),
        "lvis/lvis_v1_val",
        "lvis_v1_val.json",
        "val2017/000000000007.jpg",
        7,
        ["lvis.lvis_v1_val-0"],
    ),
    "panoptic": (
        "panoptic_dir",
        lambda d, skip: PanopticReader(
            d / "panoptic_val2017.json", d / "panoptic_val2017", d / "val2017", skip_errors=skip
        ),
        "coco_panoptic/panoptic_val2017",
        "panoptic_val2017.json",
        "val2017/000000000005.jpg",
        5,
        [],
    ),
    "refcoco": (
        "refcoco_dir",
        lambda d, skip: RefCocoReader(
            d / "refcoco" / "refs(unc).p", d / "instances.json", d / "images", skip_errors=skip
        ),
        "refcoco/refs(unc).p",
        "refs(unc).p",
        "images/sub/000000000000.jpg",
        0,
        [],
    ),
    "grefcoco": (
        "grefcoco_dir",
        lambda d, skip: GRefCocoReader(
            d / "grefs(unc).json", d / "instances.json", d / "images", skip_errors=skip
        ),
        "grefcoco/grefs(unc).json",
        "grefs(unc).json",
        "images/sub/000000000000.jpg",
        0,
        [],
    ),
    "sa1b": (
        "sa1b_dir",
        lambda d, skip: Sa1bReader(d, skip_errors=skip),
        "sa1b/{folder}",
        "{folder}",
        "sa_11.jpg",
        11,
        [],
    ),
}


def _case(request: pytest.FixtureRequest, name: str):
    fixture, make, head, where, removed, image_id, left = CASES[name]
    folder: Path = request.getfixturevalue(fixture)
    head, where = head.format(folder=folder.name), where.format(folder=folder.name)
    return folder, make, head, where, removed, image_id, left


@pytest.mark.parametrize("name", CASES)
def test_shards_are_named_and_an_unknown_shard_names_the_file(request, name):
    folder, make, head, where, *_ = _case(request, name)
    reader = make(folder, False)
    assert reader.shards() == [f"{head}/00000"]
    with pytest.raises(SourceError, match=re.escape(f"{where}: unknown shard 'other/00000'")):
        list(reader.read_shard("other/00000"))


@pytest.mark.parametrize("name", CASES)
def test_a_missing_image_raises_naming_it_or_is_counted_when_skipping(request, name):
    folder, make, head, _, removed, image_id, left = _case(request, name)
    os.remove(folder / removed)
    with pytest.raises(SourceError) as raised:
        list(make(folder, False).read_shard(f"{head}/00000"))
    assert str(raised.value).startswith(str((folder / removed).resolve()) + ": ")
    assert f"image file of image id {image_id} not found" in str(raised.value)
    skipping = make(folder, True)
    assert [image.key for image in skipping.read_shard(f"{head}/00000")] == left
    assert skipping.skips == {"missing image file": 1}
