"""Release provenance: the fingerprint on the card, ed25519 signatures, symlink and row checks.

API:
  FINGERPRINT_LINE                    the card line that carries the fingerprint
  card_for_hashing(text) -> bytes     the card with its fingerprint blanked (what the manifest
                                      hashes, since the fingerprint is the manifest's own hash)
  stamp_card(card_path, fingerprint)  write the fingerprint on the card
  card_fingerprint(card_path) -> str | None
  symlink_problems(root) -> list[str] every symlink in the release, the root included
  rows_without_bytes(shard) -> int    rows whose image (or image_marked) has no bytes
  make_readable(root)                 folders 0777 and files 0666, less the user's umask
  generate_key(private_path) -> public_path      an ed25519 key pair (PEM; private 0600)
  sign_release(root, private_key)     writes ``manifest.json.sig`` (signature of the manifest)
  signature_problems(root, public_key) -> list[str]

The fingerprint is sha256 of ``manifest.json``; the manifest holds sha256 of every other file, so
the fingerprint (or a signature of the manifest) pins every byte of the release.
Signing needs the ``cryptography`` package (extra ``sign``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from perbench.errors import DependencyError, ReleaseError
from perbench.limits import read_bounded
from perbench.outputs import output_file

SIGNATURE = "manifest.json.sig"
FINGERPRINT_LINE = "Release fingerprint (sha256 of manifest.json): "
_FINGERPRINT = re.compile(re.escape(FINGERPRINT_LINE) + r"`([0-9a-f]*)`")
_BLANK = FINGERPRINT_LINE + "`" + "0" * 64 + "`"


def card_for_hashing(text: str) -> bytes:
    return _FINGERPRINT.sub(_BLANK, text).encode()


def stamp_card(card: Path, fingerprint: str) -> None:
    text = card.read_text()
    card.write_text(_FINGERPRINT.sub(FINGERPRINT_LINE + f"`{fingerprint}`", text))


def card_fingerprint(card: Path) -> str | None:
    match = _FINGERPRINT.search(card.read_text(errors="replace")) if card.is_file() else None
    return match.group(1) if match else None


def symlink_problems(root: Path) -> list[str]:
    problems = [f"{root}: the release folder is a symlink"] if root.is_symlink() else []
    for folder, dirs, files in os.walk(root):
        for name in sorted(dirs + files):
            path = Path(folder) / name
            if path.is_symlink():
                relative = path.relative_to(root).as_posix()
                problems.append(
                    f"{relative}: a symlink (to {os.readlink(path)}); releases hold files"
                )
    return problems


def rows_without_bytes(shard: Path) -> int:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    schema = pq.read_schema(shard)
    missing = 0
    for column in ("image", "image_marked"):
        if column in schema.names:
            values = pq.read_table(shard, columns=[column]).column(column).combine_chunks()
            missing += int(pc.sum(pc.is_null(values.field("bytes"))).as_py() or 0)
    return missing


def make_readable(root: Path) -> None:
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(root, 0o777 & ~umask)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            os.chmod(Path(folder) / name, 0o777 & ~umask)
        for name in files:
            os.chmod(Path(folder) / name, 0o666 & ~umask)


def _crypto():
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ModuleNotFoundError:
        raise DependencyError(
            "signing releases needs the 'cryptography' package",
            hint="pip install 'perbench[sign]'",
        ) from None
    return serialization, ed25519, InvalidSignature


def generate_key(private_path: Path) -> Path:
    """Write a new ed25519 private key (PEM, mode 0600) and its public key beside it (.pub).
    Neither file may exist (keys are never overwritten) nor be a symlink (never written
    through); both are created exclusively, so a link planted meanwhile is refused too."""
    serialization, ed25519, _ = _crypto()
    public_path = private_path.with_name(private_path.name + ".pub")
    output_file(private_path, "KEY", new=True)
    output_file(public_path, "KEY.pub", new=True)
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _create(private_path, pem, 0o600)
    try:
        _create(public_path, public, 0o644)
    except BaseException:
        private_path.unlink()
        raise
    return public_path


def _create(path: Path, data: bytes, mode: int) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    except FileExistsError:
        raise ReleaseError(
            "key file exists already (or is a symlink); keys are never overwritten",
            where=str(path),
        ) from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def _load_key(path: Path, private: bool):
    serialization, ed25519, _ = _crypto()
    data = read_bounded(path, "key_bytes", "key file", ReleaseError)
    try:
        key = (
            serialization.load_pem_private_key(data, password=None)
            if private
            else serialization.load_pem_public_key(data)
        )
    except (OSError, ValueError, TypeError) as exc:
        raise ReleaseError(f"cannot read the key: {exc}", where=str(path)) from None
    wanted = ed25519.Ed25519PrivateKey if private else ed25519.Ed25519PublicKey
    if not isinstance(key, wanted):
        raise ReleaseError("the key is not an ed25519 key", where=str(path))
    return key


def sign_release(root: Path, private_key: Path) -> Path:
    """Sign ``manifest.json`` (which pins every file) and write the signature beside it."""
    key = _load_key(private_key, private=True)
    signature = root / SIGNATURE
    signature.write_bytes(key.sign((root / "manifest.json").read_bytes()).hex().encode() + b"\n")
    return signature


def signature_problems(root: Path, public_key: Path) -> list[str]:
    """Empty when ``manifest.json.sig`` is a valid signature of the manifest by that key."""
    _, _, invalid = _crypto()
    key = _load_key(public_key, private=False)
    signature = root / SIGNATURE
    if not signature.is_file():
        return [f"{SIGNATURE}: missing (the release is not signed)"]
    manifest = read_bounded(root / "manifest.json", "json_bytes", "manifest.json", ReleaseError)
    try:
        text = read_bounded(signature, "key_bytes", SIGNATURE, ReleaseError).decode()
        if text != text.strip() + "\n":
            raise ValueError("not one line of hex")
        key.verify(bytes.fromhex(text.strip()), manifest)
    except (ValueError, UnicodeDecodeError, invalid):
        return [f"{SIGNATURE}: not a valid signature of manifest.json by {public_key.name}"]
    return []
