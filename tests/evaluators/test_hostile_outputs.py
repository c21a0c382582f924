"""Hostile predictions and output paths (issue 12): crashes, memory, --out, disk full."""

from __future__ import annotations

import errno
import subprocess
import sys
import textwrap

import pytest

from evaluators import results as results_module
from perbench.cli import main

GIB = 1 << 30


def _entries(samples, vt_res_prediction=None):
    value = {"description": "a chair", "mcq": "A"}
    out = []
    for sample in samples:
        if sample.task == "vt_res":
            out.append({"id": sample.id, "prediction": vt_res_prediction})
        else:
            out.append({"id": sample.id, "prediction": value[sample.task]})
    return out


def _evaluate_in_child(release_path, predictions, out) -> tuple[int, str, int]:
    """Run ``perbench evaluate`` in a child; (exit status, stderr, child's peak RSS in bytes)."""
    code = textwrap.dedent(
        f"""
        import resource, subprocess, sys
        run = subprocess.run(
            [sys.executable, "-m", "perbench.cli", "evaluate", "--release", {str(release_path)!r},
             "--predictions", {str(predictions)!r}, "--model", "m", "--out", {str(out)!r}],
            capture_output=True, text=True)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        sys.stderr.write(run.stderr)
        print(run.returncode, peak)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    status, peak = done.stdout.split()
    return int(status), done.stderr, int(peak)


def test_a_huge_polygon_prediction_is_refused_not_a_segfault(
    release_path, samples, jsonl, tmp_path
):
    triangle = [[0, 0, 1e9, 0, 1e9, 1e9]]
    path = jsonl(tmp_path / "p.jsonl", _entries(samples, triangle))
    status, err, _ = _evaluate_in_child(release_path, path, tmp_path / "out")
    assert status == 2, err
    assert "polygon" in err and "Traceback" not in err


def test_a_60_mb_counts_line_is_refused_in_bounded_memory(release_path, samples, jsonl, tmp_path):
    vt = next(s for s in samples if s.task == "vt_res")
    hostile = {"size": [vt.height, vt.width], "counts": "1O" * 30_000_000}
    path = jsonl(tmp_path / "p.jsonl", _entries(samples, hostile))
    status, err, peak = _evaluate_in_child(release_path, path, tmp_path / "out")
    assert status == 2 and "cannot describe" in err
    assert peak < GIB, f"peak RSS {peak / GIB:.2f} GiB"


def test_out_that_is_a_file_is_a_clear_error(release_path, samples, jsonl, tmp_path, capsys):
    path = jsonl(tmp_path / "p.jsonl", _entries(samples))
    existing = tmp_path / "results.txt"
    existing.write_text("keep me")
    argv = ["evaluate", "--release", str(release_path), "--predictions", str(path), "--model"]
    assert main([*argv, "m", "--out", str(existing)]) == 2
    err = capsys.readouterr().err
    assert "existing file" in err and "Traceback" not in err and existing.read_text() == "keep me"


@pytest.mark.parametrize("inside", [".", "scores", "mcq/deeper"])
def test_out_inside_a_release_is_refused(release_path, samples, jsonl, tmp_path, capsys, inside):
    path = jsonl(tmp_path / "p.jsonl", _entries(samples))
    argv = ["evaluate", "--release", str(release_path), "--predictions", str(path), "--model"]
    assert main([*argv, "m", "--out", str(release_path / inside)]) == 2
    assert "inside the release" in capsys.readouterr().err
    assert not (release_path / "scores").exists()
    assert main(["release", "verify", str(release_path)]) == 0


def test_disk_full_while_writing_results_is_one_line_and_leaves_nothing(
    release_path, samples, jsonl, tmp_path, capsys, monkeypatch
):
    path = jsonl(tmp_path / "p.jsonl", _entries(samples))
    real_fdopen = results_module.write_text_atomic.__globals__["os"].fdopen

    class FullDisk:
        def __init__(self, *args, **kwargs):
            self.handle = real_fdopen(*args, **kwargs)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, text):
            self.handle.write(text[:10])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(results_module.write_text_atomic.__globals__["os"], "fdopen", FullDisk)
    out = tmp_path / "out"
    argv = ["evaluate", "--release", str(release_path), "--predictions", str(path), "--model"]
    assert main([*argv, "m", "--out", str(out)]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if "error" in line.lower()]
    assert len(err) == 1 and "no space left" in err[0] and "results.json" in err[0]
    assert not list(out.glob("*.results.json")) and not list(out.glob(".*"))


def test_a_release_cut_short_by_the_file_size_limit_is_one_line_and_leaves_nothing(tmp_path):
    code = textwrap.dedent(
        f"""
        import resource, signal, sys
        from perbench.cli import main
        from perbench.store import CandidateStore
        CandidateStore({str(tmp_path / "store.db")!r}).close()
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))
        sys.exit(main(["release", "create", {str(tmp_path / "store.db")!r}, "--version", "1",
                       "--out", {str(tmp_path / "rel")!r}]))
        """
    )
    _accepted_store(tmp_path / "store.db")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 2, done.stderr[-2000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "file too large" in last and str(tmp_path) in last
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store.db"]


def _accepted_store(path):
    from perbench.store import CandidateStore
    from tests.core.conftest import make_samples

    store = CandidateStore(path, create=True)
    store.add_candidates(make_samples(2))
    for sample_id in store.candidate_ids():
        store.record(sample_id, "alice", "accept")
    store.close()
