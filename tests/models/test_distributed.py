"""torchrun with two CPU processes (gloo): DDP, and FSDP2 giving DDP's weights; a run stopped
and resumed from its DCP shards (each rank reads its own) reproduces the uninterrupted run's
weights, and its consolidated export feeds predict."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from models.checkpoint import latest_checkpoint, load_checkpoint
from perbench.cli import main
from perbench.release import write_release

ROOT = Path(__file__).resolve().parents[2]


def torchrun(release: Path, run: Path, *extra: str) -> None:
    """Two processes of models.train on the CPU: 3 steps of 2 examples each, 64px images."""
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node=2",
        "-m",
        "models.train",
        "--out",
        str(run),
        "--release",
        str(release),
        "--steps",
        "3",
        "--batch-size",
        "2",
        "--lr",
        "1e-3",
        "--image-size",
        "64",
        "--quiet",
        "--log-every",
        "1",
        *extra,
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def release(samples, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("distributed") / "release"
    return write_release(samples, folder, "synthetic-test", "1", progress=False)


@pytest.fixture(scope="module")
def ddp_run(release, tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("ddp") / "run"
    torchrun(release, run)
    return run


def test_torchrun_ddp_with_two_cpu_processes(ddp_run):
    recipe = json.loads((ddp_run / "step-0000003" / "recipe.json").read_text())
    assert recipe["world_size"] == 2 and recipe["train"]["global_batch_size"] == 4
    assert recipe["train"]["fsdp"] is False
    state = ddp_run / "step-0000003"
    assert json.loads((state / "train_state.json").read_text())["step"] == 3
    assert (state / "train_state" / ".metadata").is_file()


def test_torchrun_fsdp_matches_ddp_resumes_and_predicts(ddp_run, release, tmp_path):
    run = tmp_path / "fsdp"
    torchrun(release, run, "--fsdp", "--stop-after", "2")
    assert latest_checkpoint(run).name == "step-0000002"
    torchrun(release, run, "--fsdp", "--resume")
    final = latest_checkpoint(run)
    shards = sorted(p.name for p in (final / "train_state").glob("*.distcp"))
    assert shards == ["__0_0.distcp", "__1_0.distcp"]
    recipe = json.loads((final / "recipe.json").read_text())
    assert recipe["train"]["fsdp"] is True and recipe["steps_done"] == 3
    log = [json.loads(line) for line in (run / "loss_log.jsonl").read_text().splitlines()]
    assert [entry["step"] for entry in log] == [1, 2, 3]
    sharded, _ = load_checkpoint(final)
    replicated, _ = load_checkpoint(latest_checkpoint(ddp_run))
    for (name, p), q in zip(
        sharded.state_dict().items(), replicated.state_dict().values(), strict=True
    ):
        assert torch.allclose(p, q, atol=1e-5), name
    out = tmp_path / "predictions.jsonl"
    code = main(
        ["model", "predict", "--release", str(release), "--checkpoint", str(run)]
        + ["--out", str(out), "--max-new-tokens", "3", "--quiet"]
    )
    assert code == 0
    assert len(out.read_text().splitlines()) == len(list(release_ids(release)))


def release_ids(release: Path) -> list[str]:
    from perbench.release import Release

    return [sample.id for sample in Release(release).samples()]


def test_fsdp_outside_torchrun_is_a_clear_error(release, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("MASTER_ADDR", raising=False)
    code = main(
        ["model", "train", "--out", str(tmp_path / "run"), "--release", str(release)]
        + ["--steps", "1", "--image-size", "64", "--quiet", "--fsdp"]
    )
    assert code == 2
    assert "not under torchrun" in capsys.readouterr().err
