"""The one output-path rule: where a command may write. Every writing command asks here first.

API:
  output_folder(path, flag="--out", inner_links=True) -> Path   a folder to write into (made
                                                 later by the caller)
  output_file(path, flag="--out", new=False) -> Path   a file to write (``new``: must not exist)
  release_holding(path) -> Path | None           the release folder that ``path`` lies in, if any
  file_beside(folder, name, where) -> Path       ``folder/name`` for a plain file name read from
                                                 a file in ``folder`` (no separators, no ``..``)

Refused with an ``OutputError`` naming the path and the flag, before anything is written:
- any path inside a release (a folder with a ``manifest.json`` listing ``files``; symlinked
  parents are resolved first), since a release is immutable and would no longer verify;
- an output that is itself a symlink (to a folder, empty or not, or to a file): a write must
  never land somewhere the path does not say;
- an existing file where a folder is wanted, and an existing folder where a file is wanted;
- for a folder that exists already, a symlink anywhere inside it (the files a command writes
  there must not be written through a link);
- with ``new=True``, a path that exists already (keys are never overwritten).
"""

from __future__ import annotations

import os
from pathlib import Path

from perbench.errors import OutputError, PerBenchError
from perbench.jsonfile import read_json

MANIFEST = "manifest.json"


def _is_release(folder: Path) -> bool:
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return False
    try:
        data = read_json(manifest, "manifest.json")
    except (OSError, PerBenchError):
        return True  # a release with a broken or oversized manifest is still a release
    return isinstance(data, dict) and "files" in data


def release_holding(path: str | Path) -> Path | None:
    """The release folder ``path`` (resolved: symlinked parents followed) lies in, or None."""
    resolved = Path(os.path.abspath(path))
    try:
        resolved = resolved.resolve()
    except (OSError, RuntimeError):
        pass
    for folder in (resolved, *resolved.parents):
        if _is_release(folder):
            return folder
    return None


def _refuse(path: Path, flag: str, message: str, hint: str) -> None:
    raise OutputError(f"{flag} {message}", where=str(path), hint=hint)


def _common(path: Path, flag: str) -> None:
    if path.is_symlink():
        _refuse(
            path,
            flag,
            f"is a symlink (to {os.readlink(path)}); outputs are never written through a link",
            "give the real path of a folder you own",
        )
    release = release_holding(path)
    if release is not None:
        _refuse(
            path,
            flag,
            f"lies inside the release {release}, and a release is immutable",
            "write outside every release folder",
        )


def output_folder(path: str | Path, flag: str = "--out", inner_links: bool = True) -> Path:
    """``path`` as a folder a command may write into; ``OutputError`` if the rule refuses it.
    ``inner_links=False`` skips the search for symlinks inside (for a shared data folder of
    which the command replaces one subfolder, itself checked)."""
    path = Path(path)
    _common(path, flag)
    if path.exists() and not path.is_dir():
        _refuse(path, flag, "must be a folder, but this is an existing file", "give a folder path")
    if inner_links and path.is_dir():
        for folder, dirs, files in os.walk(path):
            for name in dirs + files:
                inner = Path(folder) / name
                if inner.is_symlink():
                    _refuse(
                        path,
                        flag,
                        f"holds a symlink, {inner}; files written there would follow it",
                        "remove the link or choose an empty folder",
                    )
    return path


def output_file(path: str | Path, flag: str = "--out", new: bool = False) -> Path:
    """``path`` as a file a command may write; ``new`` refuses one that exists already."""
    path = Path(path)
    _common(path, flag)
    if path.is_dir():
        _refuse(path, flag, "must be a file, but this is a folder", "give a file path")
    if new and path.exists():
        _refuse(path, flag, "exists already and is never overwritten", "choose a new file name")
    return path


def file_beside(folder: Path, name: object, where: str) -> Path:
    """``folder / name`` for a file name read from a file in ``folder``: a plain name only."""
    if (
        not isinstance(name, str)
        or not name
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or "\x00" in name
    ):
        raise OutputError(
            f"names the file {name!r}, which is not a plain file name beside it",
            where=where,
            hint="a file it names must lie in its own folder",
        )
    return folder / name
