"""Forged partial files never reach a merged result (issue 20, group 2 and 3): impossible metric
states, miscounted shards, and a samples_file that names a file outside the partial's folder."""

from __future__ import annotations

import json

import pytest

from perbench.cli import main


def _partials(task, release_path, tricky, jsonl, folder, capsys):
    entries, _ = tricky
    path = jsonl(folder / "pred.jsonl", entries)
    args = ["evaluate", "--release", str(release_path), "--predictions", str(path), "--model"]
    args += ["m", "--allow-missing", "--tasks", task, "--protocol", "official"]
    for shard in range(2):
        assert main([*args, "--out", str(folder / "parts"), "--shard", f"{shard}/2"]) == 0
    capsys.readouterr()
    return sorted((folder / "parts").glob("*.partial.json"))


def _forge(path, edit):
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def _set(task, key, value):
    def edit(data):
        data["states"][task][key] = value

    return edit


@pytest.mark.parametrize(
    "task, edit, message",
    [
        ("mcq", _set("mcq", "hits", 392), "exceeds count"),  # accuracy 39.2
        ("mcq", _set("mcq", "count", 1000), "but the shard holds"),
        ("mcq", _set("mcq", "hits", -3), "non-negative count"),
        ("mcq", _set("mcq", "hits", {"fraction": "1/2"}), "non-negative count"),
        ("mcq", _set("mcq", "extra", 1), "has keys"),
        ("mcq", lambda d: d["counts"]["mcq"].update(expected=1, scored=1, missing=0), "add up"),
        ("vt_res", _set("vt_res", "intersection", 10**9), "exceeds union"),
        ("vt_res", _set("vt_res", "pair_iou_sum", {"fraction": "1000/1"}), "exceeds target"),
    ],
)
def test_a_forged_state_is_refused(
    task, edit, message, release_path, tricky, jsonl, tmp_path, capsys
):
    partials = _partials(task, release_path, tricky, jsonl, tmp_path, capsys)
    _forge(partials[0], edit)
    merged = tmp_path / "merged"
    code = main(["evaluate", "--merge", *map(str, partials), "--out", str(merged)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err and partials[0].name in err and "Traceback" not in err
    assert not merged.exists()


def test_a_samples_file_outside_the_partials_folder_is_never_copied(
    release_path, tricky, jsonl, tmp_path, capsys
):
    partials = _partials("mcq", release_path, tricky, jsonl, tmp_path, capsys)
    secret = tmp_path / "secret.jsonl"
    secret.write_text('{"position": 0, "secret": "do not copy"}\n')
    _forge(partials[0], lambda d: d.update(samples_file="../secret.jsonl"))
    merged = tmp_path / "merged"
    assert main(["evaluate", "--merge", *map(str, partials), "--out", str(merged)]) == 2
    assert "not a plain file name" in capsys.readouterr().err
    assert not merged.exists() or "do not copy" not in "".join(
        p.read_text() for p in merged.iterdir()
    )


def test_genuine_partials_still_merge(release_path, tricky, jsonl, tmp_path, capsys):
    partials = _partials("mcq", release_path, tricky, jsonl, tmp_path, capsys)
    code = main(["evaluate", "--merge", *map(str, partials), "--out", str(tmp_path / "m")])
    assert code == 0, capsys.readouterr().err
