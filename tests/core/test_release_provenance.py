"""Release provenance and hostile release folders (issue 12): bytes always embedded, symlinks,
metadata edits, fingerprints, signatures, permissions."""

from __future__ import annotations

import hashlib
import json
import os
import stat

import pyarrow.parquet as pq
import pytest

from perbench.cli import main
from perbench.release import Release, verify_release, write_release


@pytest.fixture
def release_path(tmp_path, samples):
    return write_release(samples, tmp_path / "rel", "perbench-test", "1.0.0", progress=False)


def test_rows_keep_their_image_bytes_when_the_working_folder_holds_the_relative_path(
    tmp_path, samples, monkeypatch
):
    work = tmp_path / "work"
    for sample in samples:
        name = sample.meta.get("file_name") or sample.image_id
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_bytes(b"decoy")
    monkeypatch.chdir(work)
    path = write_release(samples, tmp_path / "r", "t", "1", progress=False)
    for shard in path.rglob("*.parquet"):
        images = pq.read_table(shard, columns=["image"]).column("image").to_pylist()
        assert all(image["bytes"] for image in images)
    assert verify_release(path) == []


def test_verify_finds_rows_without_bytes(release_path):
    shard = next((release_path / "mcq").glob("*.parquet"))
    table = pq.read_table(shard)
    images = [{"bytes": None, "path": "voc/rgb.jpg"} for _ in range(table.num_rows)]
    import pyarrow as pa

    column = pa.array(images, type=table.schema.field("image").type)
    pq.write_table(table.set_column(table.schema.get_field_index("image"), "image", column), shard)
    manifest_path = release_path / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"][shard.relative_to(release_path).as_posix()] = hashlib.sha256(
        shard.read_bytes()
    ).hexdigest()
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    problems = verify_release(release_path)
    assert any("carry no image bytes" in p for p in problems)


@pytest.mark.parametrize("target", ["shard", "folder", "manifest"])
def test_verify_refuses_symlinks(release_path, tmp_path, target):
    outside = tmp_path / "outside"
    outside.mkdir()
    if target == "shard":
        victim = next((release_path / "mcq").glob("*.parquet"))
    elif target == "folder":
        victim = release_path / "mcq"
    else:
        victim = release_path / "manifest.json"
    copy = outside / victim.name
    os.rename(victim, copy)
    victim.symlink_to(copy)
    problems = verify_release(release_path)
    assert problems and "symlink" in problems[0]
    assert main(["release", "verify", str(release_path)]) == 2


def test_manifest_metadata_edits_are_detected(release_path):
    manifest_path = release_path / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["manual_check"] = False
    manifest["review"] = {"decisions_by_reviewer": {"mallory": 99}}
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    problems = verify_release(release_path)
    assert any("manifest was edited" in p for p in problems)


def test_fingerprint_is_printed_on_the_card_and_catches_a_rehashed_shard(release_path, capsys):
    fingerprint = Release(release_path).fingerprint
    assert fingerprint in (release_path / "README.md").read_text()
    assert main(["release", "show", str(release_path)]) == 0
    assert f"fingerprint {fingerprint}" in capsys.readouterr().out
    assert main(["release", "verify", str(release_path), "--fingerprint", fingerprint]) == 0
    shard = next((release_path / "vt_res").glob("*.parquet"))
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 1
    shard.write_bytes(bytes(data))
    manifest_path = release_path / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"][shard.relative_to(release_path).as_posix()] = hashlib.sha256(
        bytes(data)
    ).hexdigest()
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    card = release_path / "README.md"
    new = Release(release_path).fingerprint
    card.write_text(card.read_text().replace(fingerprint, new))  # a careful forger
    assert verify_release(release_path) == []
    problems = verify_release(release_path, fingerprint=fingerprint)
    assert len(problems) == 1 and "not the published" in problems[0]
    assert main(["release", "verify", str(release_path), "--fingerprint", fingerprint]) == 2


def test_signed_release_verifies_and_fails_after_any_change(release_path, tmp_path, capsys):
    key = tmp_path / "key.pem"
    assert main(["release", "keygen", str(key)]) == 0
    public = tmp_path / "key.pem.pub"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert main(["release", "sign", str(release_path), "--key", str(key)]) == 0
    assert verify_release(release_path, public_key=public) == []
    files = sorted(p for p in release_path.rglob("*") if p.is_file())
    assert any(p.name == "manifest.json" for p in files)
    for file in files:
        original = file.read_bytes()
        file.write_bytes(original + b" ")
        assert verify_release(release_path, public_key=public), file
        file.write_bytes(original)
    assert verify_release(release_path, public_key=public) == []
    other = tmp_path / "other.pem"
    main(["release", "keygen", str(other)])
    assert verify_release(release_path, public_key=tmp_path / "other.pem.pub")


def test_release_is_readable_by_others_unless_umask_says_otherwise(tmp_path, samples):
    old = os.umask(0o022)
    try:
        path = write_release(samples, tmp_path / "r", "t", "1", progress=False)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o755
    assert stat.S_IMODE((path / "manifest.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((path / "mcq").stat().st_mode) == 0o755
    old = os.umask(0o077)
    try:
        private = write_release(samples, tmp_path / "p", "t", "1", progress=False)
    finally:
        os.umask(old)
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
