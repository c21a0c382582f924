"""Verify before use: every command that reads a release checks it against its manifest first.

API:
  open_verified(release, fingerprint=None, public_key=None) -> Release
      the release, once every byte matches its manifest (and, when given, the published
      fingerprint and the signature by ``public_key``); ``ReleaseError`` listing the first
      problems otherwise; a Release verified once in this process is not hashed again
  add_verify_arguments(parser)   ``--fingerprint SHA`` and ``--public-key KEY.pub`` for a
                                 command that reads a release

Used by ``audit``, ``evaluate``, the exports, ``release export-stbench`` and ``model
train|predict``: a release with an edited answer, an added or a missing file is refused before
any number is computed from it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from perbench.errors import ReleaseError
from perbench.release import Release, verify_release

SHOWN_PROBLEMS = 5


def open_verified(
    release: Release | str | Path,
    fingerprint: str | None = None,
    public_key: str | Path | None = None,
) -> Release:
    pinned = fingerprint is not None or public_key is not None
    if isinstance(release, Release) and release.verified and not pinned:
        return release
    path = release.path if isinstance(release, Release) else Path(release)
    problems = verify_release(path, fingerprint, public_key)
    if problems:
        more = len(problems) - SHOWN_PROBLEMS
        raise ReleaseError(
            "release differs from its manifest: "
            + "; ".join(problems[:SHOWN_PROBLEMS])
            + (f"; and {more} more" if more > 0 else ""),
            where=str(path),
            hint="use only an unaltered release (perbench release verify)",
        )
    opened = release if isinstance(release, Release) else Release(path)
    opened.verified = True
    return opened


def add_verify_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fingerprint", help="the release's published fingerprint (sha256 of manifest.json)"
    )
    parser.add_argument(
        "--public-key", type=Path, help="check the release's signature with this ed25519 key"
    )
