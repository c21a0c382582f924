"""Releases: write, load back offline with datasets, verify, immutability, STBench round trip."""

from __future__ import annotations

import json

import datasets
import pytest

from perbench.cli import main
from perbench.errors import OutputError, ReleaseError, SchemaError, SourceError
from perbench.release import Release, release_from_store, verify_release, write_release
from perbench.stbench import export_stbench, import_stbench
from perbench.store import CandidateStore


@pytest.fixture
def release_path(tmp_path, samples):
    return write_release(samples, tmp_path / "rel", "perbench-test", "1.0.0", marked_images=True)


def _comparable(sample_dict):
    row = {k: v for k, v in sample_dict.items() if k not in ("image", "image_marked")}
    for key in ("source", "meta"):
        if isinstance(row[key], str):
            row[key] = json.loads(row[key])
    return row


def test_release_loads_offline_with_datasets_equal_sample_by_sample(
    release_path, samples, monkeypatch
):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    by_id = {s.id: s for s in samples}
    release = Release(release_path)
    assert release.tasks == ["description", "mcq", "vt_res"]
    for task in release.tasks:
        files = str(release_path / task / "*.parquet")
        loaded = datasets.load_dataset("parquet", data_files=files, split="train")
        assert len(loaded) == release.count(task) == 4
        for row in loaded:
            original = by_id[row["id"]]
            assert _comparable(row) == _comparable(original.to_dict())
            assert row["image"].size == (original.width, original.height)
            assert row["image_marked"].size == (original.width, original.height)
        for sample in release.samples(task, with_image=True):
            assert sample.to_dict() == by_id[sample.id].to_dict()
            assert sample.image == by_id[sample.id].image
    card = datasets.load_dataset(str(release_path), "mcq", split="test")
    assert len(card) == 4


def test_manifest_and_verify(release_path):
    manifest = json.loads((release_path / "manifest.json").read_text())
    assert manifest["counts"] == {"description": 4, "mcq": 4, "vt_res": 4}
    assert set(manifest["files"]) >= {"README.md", "mcq/test-00000-of-00001.parquet"}
    assert verify_release(release_path) == []
    assert main(["release", "verify", str(release_path)]) == 0


def test_verify_fails_after_one_changed_byte(release_path, capsys):
    shard = release_path / "vt_res" / "test-00000-of-00001.parquet"
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0x01
    shard.write_bytes(bytes(data))
    problems = verify_release(release_path)
    assert problems == [
        "vt_res/test-00000-of-00001.parquet: sha256 differs from manifest.json (file changed)"
    ]
    assert main(["release", "verify", str(release_path)]) == 2
    assert "vt_res/test-00000-of-00001.parquet" in capsys.readouterr().err


def test_verify_reports_added_and_missing_files(release_path):
    (release_path / "extra.txt").write_text("x")
    (release_path / "README.md").unlink()
    assert verify_release(release_path) == [
        "README.md: missing",
        "extra.txt: not listed in manifest.json (file added)",
    ]


def test_release_is_immutable(release_path, samples):
    before = verify_release(release_path)
    with pytest.raises(OutputError, match="inside the release .* immutable"):
        write_release(samples, release_path, "perbench-test", "1.0.0")
    assert verify_release(release_path) == before == []


def test_not_a_release(tmp_path):
    with pytest.raises(ReleaseError, match="manifest.json is missing"):
        Release(tmp_path)
    (tmp_path / "manifest.json").write_text("{broken")
    with pytest.raises(ReleaseError, match="not valid JSON"):
        Release(tmp_path)


def test_release_from_store_takes_only_accepted_and_counts_reviewers(tmp_path, samples):
    store = CandidateStore(tmp_path / "b.sqlite", create=True)
    store.add_candidates(samples)
    ids = store.candidate_ids()
    store.record(ids[0], "alice", "accept")
    store.record(ids[1], "alice", "accept")
    store.record(ids[1], "bob", "reject", reason="ambiguous")
    store.record(ids[2], "bob", "reject", reason="wrong mask")
    path = release_from_store(store, tmp_path / "r", "perbench", "0.1.0", progress=False)
    release = Release(path)
    assert release.ids() == [ids[0]]
    manifest = release.manifest
    assert manifest["review"]["decisions_by_reviewer"] == {"alice": 2, "bob": 2}
    assert manifest["review"]["status_counts"]["conflict"] == 1
    sample = release.sample(ids[0])
    assert sample.meta["review"]["accepted_by"] == ["alice"]


def test_release_cli_create(tmp_path, samples, capsys):
    store = CandidateStore(tmp_path / "b.sqlite", create=True)
    store.add_candidates(samples)
    for sample_id in store.candidate_ids():
        store.record(sample_id, "alice", "accept")
    out = tmp_path / "r"
    create = ["release", "create", str(store.path), "--version", "2.0", "--out", str(out)]
    # the fixture's samples repeat texts on purpose, which the audit gates refuse
    assert main(create) == 2
    assert "identical_descriptions" in capsys.readouterr().err
    override = ["--accept-audit-failures", "fixture samples repeat texts on purpose"]
    assert main(create + override) == 0
    assert Release(out).count() == len(samples)
    assert main(create + override) == 2
    assert "immutable" in capsys.readouterr().err


def test_stbench_export_then_import_round_trip(release_path, tmp_path):
    files = export_stbench(release_path, tmp_path / "stbench")
    layout = json.loads(files["mcq"].read_text())
    first = layout[0]["mcqs"][0]
    assert first["answer"] == "B" and "\nB. " in first["question"]
    assert {"image_name", "object_annotations"} <= set(
        json.loads(files["description"].read_text())[0]
    )
    imported = {s.id: s for s in import_stbench(tmp_path / "stbench")}
    originals = list(Release(release_path).samples(with_image=True))
    assert set(imported) == {s.id for s in originals}
    for original in originals:
        back = imported[original.id]
        for field in ("task", "question", "prompts", "references", "options", "answer", "targets"):
            assert getattr(back, field) == getattr(original, field), (original.id, field)
        assert back.image == original.image


def test_import_of_authors_layout_without_extra_keys(release_path, tmp_path):
    files = export_stbench(release_path, tmp_path / "st")
    vres = json.loads(files["vt_res"].read_text())
    for item in vres:
        item.pop("id")
    files["vt_res"].write_text(json.dumps(vres))
    imported = [s for s in import_stbench(tmp_path / "st") if s.task == "vt_res"]
    assert len(imported) == 4
    assert sorted(len(s.targets) for s in imported) == [0, 0, 1, 1]
    vres[0]["image_name"] = "missing.jpg"
    files["vt_res"].write_text(json.dumps(vres))
    with pytest.raises(SourceError, match="missing.jpg"):
        import_stbench(tmp_path / "st")


def _png(height: int, width: int, value: int) -> bytes:
    import io

    import numpy as np
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), value, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def _vt_res_with_target(samples):
    return next(s for s in samples if s.task == "vt_res" and s.targets)


def test_stbench_round_trip_keeps_prompts_not_numbered_from_one(samples, tmp_path):
    original = _vt_res_with_target(samples)
    renamed = original.copy_with(
        id="vt-region2",
        question="the object named after <region2>",
        prompts=[{"tag": "<region2>", "mask": original.prompts[0]["mask"]}],
    )
    release = write_release([renamed], tmp_path / "rel", "t", "1", progress=False)
    export_stbench(release, tmp_path / "st")
    (back,) = import_stbench(tmp_path / "st")
    assert back.prompts == renamed.prompts
    assert back.targets == renamed.targets


def test_stbench_export_keeps_images_whose_ids_sanitise_alike(samples, tmp_path):
    base = _vt_res_with_target(samples)
    cat = base.copy_with(id="cat", image_id="猫", image=_png(base.height, base.width, 10))
    dog = base.copy_with(id="dog", image_id="犬", image=_png(base.height, base.width, 200))
    release = write_release([cat, dog], tmp_path / "rel", "t", "1", progress=False)
    export_stbench(release, tmp_path / "st")
    back = {s.id: s for s in import_stbench(tmp_path / "st")}
    assert back["cat"].image == cat.image and back["dog"].image == dog.image


def test_stbench_import_keeps_images_with_one_stem_apart(samples, tmp_path):
    base = _vt_res_with_target(samples)
    release = write_release([base], tmp_path / "rel", "t", "1", progress=False)
    files = export_stbench(release, tmp_path / "st")
    images = tmp_path / "st" / "images"
    (item,) = json.loads(files["vt_res"].read_text())
    other = _png(base.height, base.width, 99)
    stem = item["image_name"].rsplit(".", 1)[0]
    (images / f"{stem}.png").write_bytes(other)
    twin = {**item, "image_name": f"{stem}.png", "id": "twin"}
    files["vt_res"].write_text(json.dumps([item, twin]))
    imported = {s.id: s for s in import_stbench(tmp_path / "st")}
    assert imported["twin"].image_id != imported[base.id].image_id
    again = write_release(list(imported.values()), tmp_path / "rel2", "t", "1", progress=False)
    export_stbench(again, tmp_path / "st2")
    back = {s.id: s for s in import_stbench(tmp_path / "st2")}
    assert back["twin"].image == other and back[base.id].image == base.image


@pytest.mark.parametrize("answer", ["", "AB", None])
def test_stbench_mcq_answer_that_is_not_one_letter_is_refused(release_path, tmp_path, answer):
    files = export_stbench(release_path, tmp_path / "st")
    layout = json.loads(files["mcq"].read_text())
    layout[0]["mcqs"][0]["answer"] = answer
    files["mcq"].write_text(json.dumps(layout))
    with pytest.raises(SourceError, match="not an option letter"):
        import_stbench(tmp_path / "st")


def test_stbench_mcq_question_may_end_with_blank_lines(release_path, tmp_path):
    files = export_stbench(release_path, tmp_path / "st")
    layout = json.loads(files["mcq"].read_text())
    layout[0]["mcqs"][0]["question"] += "\n\n"
    files["mcq"].write_text(json.dumps(layout))
    imported = [s for s in import_stbench(tmp_path / "st") if s.task == "mcq"]
    assert len(imported[0].options) == 4


def test_release_of_a_sample_whose_image_path_is_missing_names_it(samples, tmp_path):
    lost = samples[0].copy_with(image=str(tmp_path / "gone.jpg"))
    with pytest.raises(SchemaError, match=f"sample {lost.id}.*gone.jpg"):
        write_release([lost], tmp_path / "rel", "t", "1", progress=False)
    assert not (tmp_path / "rel").exists()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda m: {**m, "counts": ["mcq"]},
        lambda m: {**m, "files": ["mcq/test-00000-of-00001.parquet"]},
        lambda m: ["name", "version", "counts", "files"],
        lambda m: {**m, "files": {**m["files"], "../outside.txt": "0" * 64}},
    ],
)
def test_tampered_manifest_is_a_release_error(release_path, tamper):
    manifest_path = release_path / "manifest.json"
    manifest_path.write_text(json.dumps(tamper(json.loads(manifest_path.read_text()))))
    with pytest.raises(ReleaseError, match="manifest.json"):
        verify_release(release_path)


def test_tampered_manifest_counts_are_found_by_verify(release_path):
    manifest_path = release_path / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["counts"]["mcq"] += 1
    manifest_path.write_text(json.dumps(manifest))
    assert any("mcq" in problem and "count" in problem for problem in verify_release(release_path))


def test_renamed_shard_is_reported(release_path):
    shard = next((release_path / "mcq").glob("*.parquet"))
    shard.rename(shard.with_name("renamed.parquet"))
    problems = verify_release(release_path)
    assert any("missing" in p for p in problems) and any("renamed" in p for p in problems)
