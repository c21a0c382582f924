"""`perbench audit` on a store and on a release: prints its figures, writes JSON, Markdown, PNG."""

from __future__ import annotations

import json

from perbench.cli import main


def test_audit_of_a_store_prints_figures_and_writes_the_report(make, store_of, tmp_path, capsys):
    samples = make.longest_answer_mcqs() + [make.vacuous_vtres(), make.clean_vtres()]
    store = store_of(samples)
    out = tmp_path / "audit"
    arguments = ["audit", str(store.path), "--out", str(out), "--meteor", "none", "--no-progress"]
    assert main(arguments) == 0
    printed = capsys.readouterr().out
    assert "MCQ blind (best: longest): 1.00" in printed
    assert "V-T RES vacuous: 0.50" in printed and "gate mcq_blind: FAIL" in printed
    report = json.loads((out / "validity.json").read_text())
    assert report["subject"]["kind"] == "store"
    assert report["vt_res"]["vacuous"]["overall"]["n"] == 2
    assert report["mcq"]["blind"]["best"]["accuracy"]["ci95"][0] > 0.9
    assert "![mcq_blind_strategies](mcq_blind_strategies.png)" in (out / "validity.md").read_text()
    assert (out / "mcq_blind_strategies.png").stat().st_size > 0


def test_audit_of_a_release_reads_its_review_records(make, store_of, tmp_path, capsys):
    store = store_of(make.clean_descriptions(), reviewer="alice")
    release = tmp_path / "release"
    create = ["release", "create", str(store.path), "--version", "1", "--out", str(release)]
    assert main(create) == 0
    out = tmp_path / "audit"
    assert main(["audit", str(release), "--out", str(out), "--meteor", "none"]) == 0
    report = json.loads((out / "validity.json").read_text())
    assert report["subject"]["kind"] == "release"
    assert report["review"]["accepted_by_person"]["value"] == 1.0
    assert report["description"]["identical"]["samples"]["k"] == 0
    capsys.readouterr()


def test_audit_of_a_missing_path_is_an_error(tmp_path, capsys):
    assert main(["audit", str(tmp_path / "nothing.sqlite")]) == 2
    assert "no candidate store or release here" in capsys.readouterr().err


def test_builders_record_the_instances_the_vtres_checks_need(tmp_path):
    from builders.build import build_store
    from builders.synthetic import write_coco_source
    from evaluators.audit.run import AuditOptions, audit_store
    from perbench.sources.coco import CocoReader
    from perbench.store import CandidateStore

    # Generated scenes are exhaustively annotated, declared so, and the builders draft V-T RES
    # from them (the embedded VOC photo is not, and gives none).
    instances, images, _ = write_coco_source(tmp_path / "coco", 4, size=(320, 240), seed=0)
    path = tmp_path / "drafts.sqlite"
    declared = {"exhaustive_sources": {"coco": True}}
    build_store([CocoReader(instances, images)], path, seed=0, config=declared, progress=False)
    report = audit_store(CandidateStore(path), AuditOptions(meteor="none", progress=False))
    vtres = report["vt_res"]
    assert vtres["samples"] > 0 and vtres["without_instances"] == 0
    assert vtres["vacuous"]["overall"]["n"] == vtres["samples"]
    assert vtres["ambiguity"]["unchecked"] < vtres["samples"]
