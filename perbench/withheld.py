"""Withheld-answers releases: a public release without its answers, plus a private answer key.

API:
  WITHHELD_FIELDS                 per task, the fields a public release leaves null
  KEY_KIND                        the ``kind`` an answer key file carries
  withhold_release(release, out_dir, key_path, submit_url=None, progress=True) -> (Path, Path)
      write the public release (its own manifest and fingerprint) and the private key
  read_key(path) -> dict          a key file, checked (kind, format, commitment)
  KeyedRelease(public, key)       the public release with the key's answers put back: a
                                  ``Release`` every scorer can read; the key must belong to it

The public release is a normal release (``datasets`` loads it offline) whose ``references``
(description), ``answer`` (mcq; the options stay) and ``targets`` (vt_res) are null, whose
``meta`` keeps only the circular-evaluation links and whose ``source`` keeps only the dataset,
licence and image id. Its manifest records ``withheld`` (the fields) and ``answers_sha256``, a
salted commitment to the key's answers, so a maintainer cannot change the answers after
publishing. The key (JSON) names the public release's fingerprint and holds, per sample id, the
withheld fields with the original ``meta`` and ``source``. A key is never written inside a
release folder, and ``perbench.jsonfile.read_json`` refuses it everywhere but here.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from perbench.errors import ReleaseError
from perbench.jsonfile import ANSWER_KEY_KIND as KEY_KIND
from perbench.jsonfile import read_json
from perbench.outputs import output_file
from perbench.release import MANIFEST, Release, write_release
from perbench.schema import Sample
from perbench.verified import open_verified

KEY_FORMAT = 1
WITHHELD_FIELDS = {"description": ("references",), "mcq": ("answer",), "vt_res": ("targets",)}
PUBLIC_META_KEYS = ("circular",)
PUBLIC_SOURCE_KEYS = ("dataset", "license", "image_id")
KEY_NOTICE = "PRIVATE: the answers of a withheld PerBench test split. Never publish this file."


def _commitment(salt: str, answers: dict[str, Any]) -> str:
    text = json.dumps(answers, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((salt + text).encode()).hexdigest()


def _public(sample: Sample) -> Sample:
    changes: dict[str, Any] = {field: None for field in WITHHELD_FIELDS[sample.task]}
    changes["meta"] = {k: sample.meta[k] for k in PUBLIC_META_KEYS if k in sample.meta}
    changes["source"] = {k: sample.source[k] for k in PUBLIC_SOURCE_KEYS if k in sample.source}
    return sample.copy_with(**changes)


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def withhold_release(
    release: Release | str | Path,
    out_dir: str | Path,
    key_path: str | Path,
    submit_url: str | None = None,
    progress: bool = True,
) -> tuple[Path, Path]:
    """Write the public part of ``release`` to ``out_dir`` and its answer key to ``key_path``."""
    release = open_verified(release)
    if release.manifest.get("withheld"):
        raise ReleaseError("this release already withholds its answers", where=str(release.path))
    out_dir, key_path = Path(out_dir), Path(key_path)
    if key_path.exists() or key_path.is_symlink():
        raise ReleaseError(
            "the answer key file exists; keys are never overwritten", where=str(key_path)
        )
    for folder in (out_dir, release.path):
        if _inside(key_path, folder):
            raise ReleaseError(
                "the answer key must not be written inside a release folder",
                where=str(key_path),
                hint="keep the key outside anything you publish",
            )
    if not key_path.parent.is_dir():
        raise ReleaseError("the answer key's folder does not exist", where=str(key_path.parent))
    output_file(key_path, "--key", new=True)
    salt = secrets.token_hex(32)
    # The commitment goes into the manifest, so every answer is read before anything is written.
    answers = {
        sample.id: {
            "task": sample.task,
            **{f: getattr(sample, f) for f in WITHHELD_FIELDS[sample.task]},
            "meta": sample.meta,
            "source": sample.source,
        }
        for sample in release.samples()
    }
    commitment = _commitment(salt, answers)
    where = f"at {submit_url}" if submit_url else "to the benchmark's submission server"
    card = (
        "## Withheld answers\n\n"
        "This is the public part of a withheld test split: `references` (description), "
        "`answer` (mcq; the options are given) and `targets` (vt_res) are null, and `meta` keeps "
        "only the circular-evaluation links. Run your model on it and submit the predictions "
        f'file (JSON Lines, one `{{"id": ..., "prediction": ...}}` per sample) {where}; it is '
        "scored under both protocols (`official`, `strict`) against the private key.\n\n"
        f"Commitment to the answers (salted sha256): `{commitment}`.\n"
    )
    public = write_release(
        (_public(sample) for sample in release.samples(with_image=True)),
        out_dir,
        release.name,
        f"{release.version}-public",
        withheld=True,
        extra_manifest={
            "withheld": {task: list(fields) for task, fields in WITHHELD_FIELDS.items()},
            "answers_sha256": commitment,
            "withheld_from": {"version": release.version, "fingerprint": release.fingerprint},
            "submit_url": submit_url,
        },
        card_extra=card,
        progress=progress,
    )
    key = {
        "kind": KEY_KIND,
        "format": KEY_FORMAT,
        "notice": KEY_NOTICE,
        "release": {
            "name": release.name,
            "version": f"{release.version}-public",
            "fingerprint": Release(public).fingerprint,
        },
        "withheld_from": {"version": release.version, "fingerprint": release.fingerprint},
        "salt": salt,
        "answers_sha256": commitment,
        "samples": answers,
    }
    with open(key_path, "x", encoding="utf-8") as handle:
        handle.write(json.dumps(key, sort_keys=True) + "\n")
    key_path.chmod(0o600)
    return public, key_path


def read_key(path: str | Path) -> dict[str, Any]:
    """The answer key at ``path``, checked: kind, format, and its answers against its commitment."""
    key = read_json(path, "answer key", ReleaseError, allow_answer_key=True)
    if not isinstance(key, dict) or key.get("kind") != KEY_KIND:
        raise ReleaseError(f"not an answer key (no kind {KEY_KIND!r})", where=str(path))
    if key.get("format") != KEY_FORMAT:
        raise ReleaseError(
            f"answer key format {key.get('format')!r} is not {KEY_FORMAT}", where=str(path)
        )
    samples, salt = key.get("samples"), key.get("salt")
    if not isinstance(samples, dict) or not isinstance(salt, str):
        raise ReleaseError("answer key lacks its samples or salt", where=str(path))
    if _commitment(salt, samples) != key.get("answers_sha256"):
        raise ReleaseError("answer key's answers do not match its commitment", where=str(path))
    return key


class KeyedRelease(Release):
    """A withheld public release read with its answers put back from the key (for scoring)."""

    def __init__(self, public: str | Path, key: dict[str, Any] | str | Path):
        super().__init__(public)
        self.key = key if isinstance(key, dict) else read_key(key)
        if not self.manifest.get("withheld"):
            raise ReleaseError("not a withheld release: it carries its answers", where=str(public))
        if self.key["release"]["fingerprint"] != self.fingerprint:
            raise ReleaseError(
                "the answer key belongs to another release (key for "
                f"{self.key['release']['fingerprint'][:12]}, this is {self.fingerprint[:12]})",
                where=str(Path(public) / MANIFEST),
            )
        if self.key["answers_sha256"] != self.manifest.get("answers_sha256"):
            raise ReleaseError(
                "the answer key does not match the release's commitment", where=str(public)
            )

    def samples(self, task: str | None = None, with_image: bool = False) -> Iterator[Sample]:
        answers = self.key["samples"]
        for sample in super().samples(task, with_image):
            entry = answers.get(sample.id)
            if entry is None or entry.get("task") != sample.task:
                raise ReleaseError(f"the answer key has no entry for sample {sample.id}")
            changes = {f: entry.get(f) for f in WITHHELD_FIELDS[sample.task]}
            yield sample.copy_with(**changes, meta=entry["meta"], source=entry["source"])
