"""Save/load round trip gives identical outputs; resume continues exactly; CLI on a release
(torchrun DDP and FSDP: test_distributed.py)."""

from __future__ import annotations

import json

import pytest
import torch

from models.checkpoint import CheckpointError, latest_checkpoint, load_checkpoint, save_checkpoint
from models.config import TrainConfig
from models.data import examples_from_samples
from models.model import PixelSAIL
from models.predict import PixelSAILPredictor
from models.train import train
from perbench.cli import main
from perbench.release import write_release
from perbench.schema import TASKS


def test_save_load_round_trip_gives_identical_outputs(
    tmp_path, samples, codec, make_micro, make_batch
):
    config = make_micro("plain")
    model = PixelSAIL(config, codec).eval()
    folder = save_checkpoint(model, codec, tmp_path / "ckpt", recipe={"note": "test"})
    loaded, loaded_codec = load_checkpoint(folder)
    assert loaded.config == model.config
    batch = make_batch(config, codec, samples)
    with torch.no_grad():
        first = model.encode(batch)
        second = loaded.encode(batch)
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])
    a = PixelSAILPredictor(model, codec, max_new_tokens=4).predict_batch(samples)
    b = PixelSAILPredictor(loaded, loaded_codec, max_new_tokens=4).predict_batch(samples)
    assert a == b


def test_load_refuses_a_folder_that_is_not_a_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="model.safetensors"):
        (tmp_path / "config.json").write_text("{}")
        (tmp_path / "lm_config.json").write_text("{}")
        load_checkpoint(tmp_path)


class _MeanColourExpert:
    """A stand-in vision expert: pooled pixels as "patch" features (no "pixel" features)."""

    def features(self, pixel_values, image_ids):
        return {"patch": torch.nn.functional.avg_pool2d(pixel_values, 16)}


@pytest.mark.parametrize("ablation", ["plain", "upsample", "inject", "full"])
def test_resume_continues_exactly_where_the_run_stopped(
    tmp_path, samples, codec, make_micro, ablation
):
    examples = examples_from_samples(samples)
    settings = dict(steps=6, batch_size=4, lr=1e-3, log_every=1, save_every=3, workers=0)
    expert = _MeanColourExpert() if ablation == "full" else None
    config = make_micro(ablation, expert_patch_dim=3)

    def run(folder, **extra):
        return train(
            examples,
            folder,
            config,
            TrainConfig(**settings),
            codec,
            expert,
            progress=False,
            **extra,
        )

    straight = run(tmp_path / "a")
    run(tmp_path / "b", stop_after=3)
    resumed = run(tmp_path / "b", resume=True)
    assert latest_checkpoint(tmp_path / "b") == resumed
    first, _ = load_checkpoint(straight)
    second, _ = load_checkpoint(resumed)
    for (name, p), q in zip(first.state_dict().items(), second.state_dict().values(), strict=True):
        assert torch.allclose(p, q, atol=1e-6), name
    log = [
        json.loads(line) for line in (tmp_path / "b" / "loss_log.jsonl").read_text().splitlines()
    ]
    assert [entry["step"] for entry in log] == [1, 2, 3, 4, 5, 6]


def test_cli_trains_predicts_every_sample_and_errors_cleanly(tmp_path, samples, capsys):
    release = write_release(samples, tmp_path / "release", "synthetic-test", "1", progress=False)
    run = tmp_path / "run"
    code = main(
        [
            "model",
            "train",
            "--out",
            str(run),
            "--release",
            str(release),
            "--steps",
            "2",
            "--batch-size",
            "2",
            "--image-size",
            "64",
            "--quiet",
            "--vocab-size",
            "300",
        ]
    )
    assert code == 0
    out = tmp_path / "predictions.jsonl"
    code = main(
        [
            "model",
            "predict",
            "--release",
            str(release),
            "--checkpoint",
            str(run),
            "--out",
            str(out),
            "--max-new-tokens",
            "3",
            "--quiet",
        ]
    )
    assert code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    by_id = {s.id: s for s in samples}
    assert sorted(r["id"] for r in rows) == sorted(by_id)
    for row in rows:
        sample = by_id[row["id"]]
        if sample.task == "vt_res":
            assert row["prediction"] is None or row["prediction"]["size"] == [64, 64]
        else:
            assert isinstance(row["prediction"], str)
    assert {by_id[r["id"]].task for r in rows} == set(TASKS)
    recipe = json.loads(out.with_suffix(".recipe.json").read_text())
    assert recipe["train"]["steps"] == 2 and recipe["data"]["releases"] == [str(release)]
    capsys.readouterr()
    code = main(
        [
            "model",
            "predict",
            "--release",
            str(release),
            "--checkpoint",
            str(tmp_path / "nowhere"),
            "--out",
            str(out),
        ]
    )
    assert code == 2
    assert "no checkpoint here" in capsys.readouterr().err


def test_init_from_a_local_hf_checkpoint_uses_its_shapes_and_tokenizer(tmp_path, samples):
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from models.tokenizer import TextCodec

    base = TextCodec.build(["a red circle left of the square"], vocab_size=280).tokenizer
    base.save_pretrained(str(tmp_path / "hf"))
    shapes = dict(
        hidden_size=48,
        intermediate_size=96,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
    )
    Qwen2ForCausalLM(Qwen2Config(vocab_size=len(base), **shapes)).save_pretrained(tmp_path / "hf")
    release = write_release(samples, tmp_path / "release", "synthetic-test", "1", progress=False)
    code = main(
        [
            "model",
            "train",
            "--out",
            str(tmp_path / "run"),
            "--release",
            str(release),
            "--init",
            str(tmp_path / "hf"),
            "--steps",
            "1",
            "--image-size",
            "64",
            "--quiet",
        ]
    )
    assert code == 0
    model, codec = load_checkpoint(latest_checkpoint(tmp_path / "run"))
    assert model.config.hidden_size == 48 and model.config.init_from == str(tmp_path / "hf")
    assert model.lm.get_input_embeddings().weight.shape[0] == len(codec)


def test_resume_tolerates_a_parameter_without_optimizer_state(tmp_path, codec, make_micro):
    """Checkpoints of runs where a head never had a gradient (older DDP runs, the plain
    ablation) lack its AdamW state; resuming them crashed with 'Missing key'."""
    from models.checkpoint import load_train_state, save_train_state
    from models.optim import make_optimizer

    model = PixelSAIL(make_micro(), codec)
    optimizer, _ = make_optimizer(model, TrainConfig(steps=4))
    for name, param in model.named_parameters():
        param.grad = None if name.startswith("seg_mlp") else torch.ones_like(param)
    optimizer.step()
    save_train_state(tmp_path, model, optimizer, {"step": 1})
    fresh = PixelSAIL(make_micro(), codec)
    fresh_optimizer, _ = make_optimizer(fresh, TrainConfig(steps=4))
    assert load_train_state(tmp_path, fresh, fresh_optimizer) == {"step": 1}
    assert torch.equal(fresh.seg_mlp[0].weight, model.seg_mlp[0].weight)
    stepped = fresh_optimizer.state[fresh.patch_embedding.linear.weight]
    assert float(stepped["step"]) == 1.0
