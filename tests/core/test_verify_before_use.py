"""Verify before use (issue 20, group 2): every command that reads a release refuses one whose
bytes differ from its manifest, so a release with every MCQ answer changed is never audited,
scored, exported or trained on; and ``release verify`` notices a FIFO added to a release."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from perbench.cli import main
from perbench.provenance import card_for_hashing, stamp_card
from perbench.release import Release, sha256_file, verify_release, write_release
from tests.core.conftest import make_samples

READERS = {
    "audit": ["audit", "{release}", "--out", "{out}", "--meteor", "none", "--no-progress"],
    "evaluate": [
        "evaluate",
        "--release",
        "{release}",
        "--predictions",
        "{preds}",
        "--model",
        "m",
        "--out",
        "{out}",
    ],
    "export lmms-eval": ["export", "lmms-eval", "{release}", "{out}"],
    "export vlmevalkit": ["export", "vlmevalkit", "{release}", "{out}"],
    "export vlmevalkit-predictions": [
        "export",
        "vlmevalkit-predictions",
        "{release}",
        "{preds}",
        "--out",
        "{out}/p.jsonl",
    ],
    "release export-stbench": ["release", "export-stbench", "{release}", "{out}"],
    "model train": ["model", "train", "--out", "{out}", "--release", "{release}", "--steps", "1"],
}


@pytest.fixture(scope="module")
def genuine(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("verify") / "rel"
    return write_release(make_samples(2), root, "perbench", "1.0.0", progress=False)


def _answers_changed(genuine: Path, target: Path) -> Path:
    """A copy of the release whose every MCQ answer points at another option."""
    shutil.copytree(genuine, target)
    for shard in sorted((target / "mcq").glob("*.parquet")):
        table = pq.read_table(shard)
        pairs = zip(
            table.column("answer").to_pylist(), table.column("options").to_pylist(), strict=True
        )
        answers = [(answer + 1) % len(options) for answer, options in pairs]
        index = table.schema.get_field_index("answer")
        table = table.set_column(index, "answer", pa.array(answers, pa.int64()))
        pq.write_table(table, shard)
    return target


def _reseal(release: Path) -> None:
    """Rewrite the manifest's hashes and restamp the card: only a published fingerprint or a
    signature can tell the release apart now."""
    manifest = json.loads((release / "manifest.json").read_text())
    for relative in manifest["files"]:
        path = release / relative
        manifest["files"][relative] = (
            hashlib.sha256(card_for_hashing(path.read_text())).hexdigest()
            if relative == "README.md"
            else sha256_file(path)
        )
    (release / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    stamp_card(release / "README.md", sha256_file(release / "manifest.json"))


def _run(template: list[str], release: Path, out: Path, preds: Path, *extra: str) -> int:
    values = {"{release}": str(release), "{out}": str(out), "{preds}": str(preds)}
    argv = [values.get(p, p) for p in template]
    argv = [a.replace("{out}", str(out)) for a in argv]
    return main([*argv, *extra])


@pytest.mark.parametrize("command", sorted(READERS))
def test_a_release_with_every_mcq_answer_changed_is_refused(command, genuine, tmp_path, capsys):
    if command == "model train":
        pytest.importorskip("torch")
    forged = _answers_changed(genuine, tmp_path / "forged")
    preds = tmp_path / "preds.jsonl"
    preds.write_text("")
    out = tmp_path / "out"
    assert _run(READERS[command], forged, out, preds) == 2
    err = capsys.readouterr().err
    assert "differs from its manifest" in err and "mcq/" in err and "Traceback" not in err
    assert not out.exists() or not any(out.rglob("*.*"))


@pytest.mark.parametrize("command", ["audit", "evaluate", "export lmms-eval"])
def test_a_resealed_release_is_refused_against_its_published_fingerprint(
    command, genuine, tmp_path, capsys
):
    forged = _answers_changed(genuine, tmp_path / "forged")
    _reseal(forged)
    assert verify_release(forged) == []  # only the fingerprint can tell now
    preds = tmp_path / "preds.jsonl"
    preds.write_text("")
    published = Release(genuine).fingerprint
    code = _run(READERS[command], forged, tmp_path / "out", preds, "--fingerprint", published)
    assert code == 2
    assert "not the published" in capsys.readouterr().err


def test_verify_notices_a_fifo_added_to_a_release(genuine, tmp_path, capsys):
    copy = shutil.copytree(genuine, tmp_path / "copy")
    os.mkfifo(copy / "mcq" / "extra")
    problems = verify_release(copy)
    assert any("mcq/extra" in p and "not a regular file" in p for p in problems)
    assert main(["release", "verify", str(copy)]) == 2
    assert "not a regular file" in capsys.readouterr().err


def test_verify_notices_a_fifo_in_place_of_a_shard(genuine, tmp_path):
    copy = shutil.copytree(genuine, tmp_path / "copy")
    shard = next((copy / "mcq").glob("*.parquet"))
    shard.unlink()
    os.mkfifo(shard)
    problems = verify_release(copy)
    assert any(shard.name in p for p in problems)
