"""Image ids are namespaced per source (issue 20): two COCO-format sources in one build both
number their images from 0, and neither loses a photo or a sample to the other; a collision that
still reaches a store is an error naming both sources."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from builders.build import build_store
from builders.synthetic import write_coco_source
from perbench.errors import StoreError
from perbench.sources.coco import CocoReader
from perbench.store import CandidateStore
from tests.core.conftest import make_samples

TASKS = {"tasks": ["mcq", "description"]}


@pytest.fixture(scope="module")
def two_sources(tmp_path_factory):
    big = write_coco_source(tmp_path_factory.mktemp("big"), 3, size=(200, 120), seed=1)
    small = write_coco_source(tmp_path_factory.mktemp("small"), 3, size=(100, 60), seed=2)
    renamed = small[0].with_name("second.json")
    small[0].rename(renamed)
    return (
        CocoReader(big[0], big[1], big[2]),
        CocoReader(renamed, small[1], small[2]),
    )


def _single(reader, path):
    build_store([reader], path, seed=0, config=TASKS, progress=False)
    return CandidateStore(path).count()


def test_two_coco_sources_keep_every_photo_and_sample(two_sources, tmp_path):
    alone = [_single(reader, tmp_path / f"alone{i}.db") for i, reader in enumerate(two_sources)]
    build_store(list(two_sources), tmp_path / "both.db", seed=0, config=TASKS, progress=False)
    store = CandidateStore(tmp_path / "both.db")
    assert store.count() == sum(alone)
    samples = list(store.candidates(with_image=True))
    assert {s.image_id for s in samples} == {
        f"coco.{stem}-{i}" for stem in ("instances", "second") for i in range(3)
    }
    for sample in samples:
        with Image.open(io.BytesIO(sample.image)) as image:
            assert image.size == (sample.width, sample.height), sample.id
        for prompt in sample.prompts:
            assert prompt["mask"]["size"] == [sample.height, sample.width]


def test_an_image_id_holding_other_bytes_is_an_error_naming_both(tmp_path):
    store = CandidateStore(tmp_path / "s.db", create=True)
    first = make_samples(1)[0]
    store.add_candidates([first], shard="coco/a/00000")
    other = make_samples(1)[1]
    other.image = first.image[:-2] + b"\x00\xd9"  # same id, other bytes
    other.meta = {**other.meta, "file_name": "elsewhere.jpg"}
    with pytest.raises(StoreError, match=r"coco/b/00000.*other bytes.*coco/a/00000"):
        store.add_candidates([other], shard="coco/b/00000")
    assert store.count() == 1 and store.image_bytes(first.image_id) == first.image


def test_a_sample_id_of_another_shard_is_an_error(tmp_path):
    store = CandidateStore(tmp_path / "s.db", create=True)
    sample = make_samples(1)[0]
    store.add_candidates([sample], shard="coco/a/00000")
    store.add_candidates([sample], shard="coco/a/00000")  # a resumed shard rewrites its own
    with pytest.raises(StoreError, match="already belongs to shard coco/a/00000"):
        store.add_candidates([sample], shard="coco/b/00000")
