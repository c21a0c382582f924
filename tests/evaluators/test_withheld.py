"""Withheld-answers releases: the public part holds no answer, the key stays private."""

from __future__ import annotations

import json

import pytest

from evaluators.api import evaluate
from perbench.cli import main
from perbench.errors import PerBenchError, ReleaseError
from perbench.jsonfile import read_json
from perbench.release import Release, verify_release, write_release
from perbench.withheld import KeyedRelease, read_key, withhold_release
from tests.evaluators.conftest import make_test_samples


@pytest.fixture(scope="module")
def split(release_path, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("withheld")
    public, key = withhold_release(release_path, tmp / "public", tmp / "key.json", progress=False)
    return public, key


def test_public_release_loads_and_holds_no_answer(split, release):
    import datasets

    public, _ = split
    assert verify_release(public) == []
    manifest = Release(public).manifest
    assert manifest["counts"] == release.manifest["counts"]
    for task, column in (("description", "references"), ("mcq", "answer"), ("vt_res", "targets")):
        rows = datasets.load_dataset(
            "parquet", data_files=str(public / task / "*.parquet"), split="train"
        )
        assert len(rows) == release.count(task)
        assert all(value is None for value in rows[column])
        for meta, source in zip(rows["meta"], rows["source"], strict=True):
            assert set(json.loads(meta)) <= {"circular"}
            assert set(json.loads(source)) <= {"dataset", "license", "image_id"}
    mcq = datasets.load_dataset("parquet", data_files=str(public / "mcq/*.parquet"), split="train")
    assert all(len(options) >= 2 for options in mcq["options"])
    card = (public / "README.md").read_text()
    assert "Withheld answers" in card and manifest["answers_sha256"] in card


def test_keyed_release_gives_back_the_original_samples(split, release):
    public, key = split
    original = {s.id: s.to_dict() for s in release.samples()}
    restored = {s.id: s.to_dict() for s in KeyedRelease(public, key).samples()}
    assert restored == original


def test_key_is_refused_everywhere_but_the_scorer(split, capsys, tmp_path):
    public, key = split
    with pytest.raises(PerBenchError, match="private answer key"):
        read_json(key, "results file")
    assert main(["leaderboard", str(key), "--out", str(tmp_path / "board")]) == 2
    assert "private answer key" in capsys.readouterr().err
    assert not (tmp_path / "board" / "leaderboard.md").exists()
    assert main(["release", "show", str(key)]) == 2


def test_withheld_release_is_scored_only_with_its_key(split, samples, jsonl, tmp_path):
    public, key = split
    predictions = jsonl(tmp_path / "p.jsonl", [{"id": s.id, "prediction": "A"} for s in samples])
    with pytest.raises(ReleaseError, match="withholds its answers"):
        evaluate(public, predictions, "m", tasks=["mcq"], allow_missing=True, progress=False)
    keyed = evaluate(
        public, predictions, "m", tasks=["mcq"], allow_missing=True, key=key, progress=False
    )
    assert keyed["metrics"]["mcq"]["accuracy"] > 0


def test_a_changed_or_foreign_key_is_refused(split, tmp_path):
    public, key = split
    data = json.loads(key.read_text())
    entry = next(v for v in data["samples"].values() if v["task"] == "mcq")
    entry["answer"] = (entry["answer"] + 1) % 4
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(data))
    with pytest.raises(ReleaseError, match="commitment"):
        read_key(forged)
    other = write_release(make_test_samples()[:3], tmp_path / "o", "other", "1", progress=False)
    other_public, _ = withhold_release(other, tmp_path / "op", tmp_path / "ok.json", progress=False)
    with pytest.raises(ReleaseError, match="another release"):
        KeyedRelease(other_public, key)


def test_withhold_never_overwrites_a_key_or_writes_it_into_a_release(release_path, split, tmp_path):
    _, key = split
    before = key.read_bytes()
    with pytest.raises(ReleaseError, match="never overwritten"):
        withhold_release(release_path, tmp_path / "p2", key, progress=False)
    assert key.read_bytes() == before
    with pytest.raises(ReleaseError, match="inside a release"):
        withhold_release(release_path, tmp_path / "p3", tmp_path / "p3" / "key.json")
    assert not (tmp_path / "p2").exists() and not (tmp_path / "p3").exists()


def test_cli_withhold(release_path, tmp_path, capsys):
    code = main(
        [
            "release",
            "withhold",
            str(release_path),
            "--out",
            str(tmp_path / "pub"),
            "--key",
            str(tmp_path / "k.json"),
            "--submit-url",
            "https://example.org/perbench",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "never publish" in out and str(tmp_path / "pub") in out
    assert "https://example.org/perbench" in (tmp_path / "pub" / "README.md").read_text()
    assert oct((tmp_path / "k.json").stat().st_mode & 0o777) == "0o600"
