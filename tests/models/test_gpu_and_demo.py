"""The GPU script's code path (dry run on CPU), the demo entry point, and real GPU checks."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import torch

from models.demo import train_and_predict
from models.model import PixelSAIL
from models.predict import PixelSAILPredictor
from models.synthetic import synthetic_samples
from perbench.release import Release, write_release

ROOT = Path(__file__).resolve().parents[2]


def _load_gpu_train():
    spec = importlib.util.spec_from_file_location("gpu_train", ROOT / "benchmarks/gpu_train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gpu_train_dry_run_prints_and_appends_its_figures(tmp_path, capsys):
    gpu_train = _load_gpu_train()
    results = tmp_path / "RESULTS.md"
    assert (
        gpu_train.main(["--dry-run", "--out", str(tmp_path / "work"), "--results", str(results)])
        == 0
    )
    printed = capsys.readouterr().out
    assert "tokens/s:" in printed and "calibration:" in printed
    assert "memory estimate (per GPU):" in printed and "compiled graphs" in printed
    text = results.read_text()
    assert "DRY RUN, CPU (no GPU)" in text and "model FLOPs utilisation" in text
    assert "estimated before the run" in text and "compiled graphs in the process" in text
    assert "release `synthetic-shapes`" in text
    assert gpu_train.peak_tflops("NVIDIA H100 80GB HBM3") == 989.0
    assert gpu_train.peak_tflops("NVIDIA H100 PCIe") == 756.0


def test_demo_trains_on_images_disjoint_from_the_release_and_predicts_every_sample(tmp_path):
    from models.demo import TINY_RECIPE
    from perbench.images import release_pixel_hashes

    # the release holds the first two of the demo's own synthetic training scenes
    shared = synthetic_samples(2, seed=TINY_RECIPE["seed"], image_size=128)
    release = write_release(shared, tmp_path / "release", "demo", "1", progress=False)
    result = train_and_predict(release, tmp_path / "out", steps=2, progress=False)
    rows = [json.loads(line) for line in result["predictions"].read_text().splitlines()]
    assert sorted(row["id"] for row in rows) == sorted(s.id for s in shared)
    assert (result["checkpoint"] / "model.safetensors").is_file()
    recipe = result["recipe"]
    assert recipe["train"]["steps"] == 2 and recipe["size"] == "tiny"
    assert recipe["data"]["dropped_release_images"] == 2
    in_release = set(release_pixel_hashes(Release(release)).values())
    assert len(recipe["train_images"]["sha256"]) == TINY_RECIPE["synthetic_scenes"] - 2
    assert not in_release & set(recipe["train_images"]["sha256"])


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_bf16_training_step_and_prediction_on_gpu(samples, codec, make_micro, make_batch):
    from models.batching import to_device

    config = make_micro()
    model = PixelSAIL(config, codec).cuda()
    batch = to_device(make_batch(config, codec, samples), "cuda")
    with torch.autocast("cuda", dtype=torch.bfloat16):
        losses = model(batch, None, torch.Generator(device="cuda"))
    losses["loss"].backward()
    assert torch.isfinite(losses["loss"])
    predictions = PixelSAILPredictor(model, codec, device="cuda", bf16=True).predict_batch(samples)
    assert len(predictions) == len(samples)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_flex_attention_equals_the_dense_mask_on_gpu_with_gradients(
    samples, codec, make_micro, make_batch
):
    from models.batching import to_device

    dense = PixelSAIL(make_micro(attention="dense"), codec).cuda()
    flex = PixelSAIL(make_micro(attention="flex"), codec).cuda()
    flex.load_state_dict(dense.state_dict())
    batch = to_device(make_batch(dense.config, codec, samples), "cuda")
    results = []
    for model in (dense, flex):
        losses = model(batch, None, torch.Generator(device="cuda").manual_seed(0))
        losses["loss"].backward()
        results.append((losses["loss"], model.patch_embedding.linear.weight.grad))
    assert torch.allclose(results[0][0], results[1][0], atol=1e-4)
    assert torch.allclose(results[0][1], results[1][1], atol=1e-4)
