"""The GPU training paths, checked on CPU where torch allows: bucketed lengths, FlexAttention
compiled for dynamic shapes (forward only: CPU FlexAttention has no backward; the backward is
the GPU-marked test), the compiled-graph count over 50 varied steps, teacher features read in
loader workers, and the memory estimate."""

from __future__ import annotations

import pytest
import torch

from models.attention import compiled_graphs, use_compiled_flex
from models.batching import Encoder, collate
from models.config import TrainConfig, make_config
from models.data import examples_from_samples
from models.memory import count_parameters, estimate_training_memory
from models.model import PixelSAIL
from models.synthetic import synthetic_samples


@pytest.fixture
def compiled_flex_on_cpu():
    use_compiled_flex("aot_eager")  # dynamo's guards and graphs, without inductor's C++ build
    yield
    use_compiled_flex(None)


def varied_batches(config, codec, count: int) -> list[dict]:
    """``count`` batches of 2-4 images of 32-96 px (different grids, text lengths, padding)."""
    encoder = Encoder(config, codec)
    items = {}
    for side in (32, 48, 64, 80, 96):
        samples = synthetic_samples(1, seed=side, image_size=side)
        items[side] = [encoder(e) for e in examples_from_samples(samples)]
    generator = torch.Generator().manual_seed(0)
    batches = []
    for step in range(count):
        size = 2 + step % 3
        picks = torch.randint(0, 5, (size,), generator=generator).tolist()
        chosen = [items[(32, 48, 64, 80, 96)[p]][step % 10] for p in picks]
        batches.append(collate(chosen, codec.pad_id, config.max_prompts, config, codec.seg_id))
    return batches


def test_lengths_are_bucketed_to_a_multiple(codec, make_micro):
    config = make_micro(image_size=128, length_bucket=32)
    for batch in varied_batches(config, codec, 6):
        assert (batch["image_valid"].shape[1] + batch["input_ids"].shape[1]) % 32 == 0


def test_compiled_flex_equals_dense_and_recompiles_a_handful_of_times_in_50_varied_steps(
    codec, make_micro, compiled_flex_on_cpu
):
    dense = PixelSAIL(make_micro(attention="dense", image_size=128, length_bucket=32), codec)
    flex = PixelSAIL(make_micro(attention="flex", image_size=128, length_bucket=32), codec)
    flex.load_state_dict(dense.state_dict())
    dense.eval(), flex.eval()
    batches = varied_batches(flex.config, codec, 50)
    lengths = {
        (b["image_valid"].shape[1] + b["input_ids"].shape[1], len(b["ids"])) for b in batches
    }
    assert len(lengths) > 8  # more shapes than torch's default recompile limit
    before = compiled_graphs()
    with torch.no_grad():
        for index, batch in enumerate(batches):
            hidden, features = flex.encode(batch)
            if index % 10 == 0:
                reference, reference_features = dense.encode(batch)
                valid = torch.cat([batch["image_valid"], batch["text_valid"]], 1)
                assert torch.allclose(hidden[valid], reference[valid], atol=1e-4)
                assert torch.allclose(features, reference_features, atol=1e-4)
    made = compiled_graphs() - before
    assert 1 <= made <= 4, made


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_compiled_flex_equals_dense_forward_and_backward_on_varied_gpu_batches(codec, make_micro):
    from models.batching import to_device

    dense = PixelSAIL(make_micro(attention="dense", image_size=128, length_bucket=128), codec)
    flex = PixelSAIL(make_micro(attention="flex", image_size=128, length_bucket=128), codec)
    flex.load_state_dict(dense.state_dict())
    dense.cuda(), flex.cuda()
    before = compiled_graphs()
    for batch in varied_batches(flex.config, codec, 12):
        batch = to_device(batch, "cuda")
        results = []
        for model in (dense, flex):
            model.zero_grad()
            losses = model(batch, None, torch.Generator(device="cuda").manual_seed(0))
            losses["loss"].backward()
            results.append((losses["loss"], model.patch_embedding.linear.weight.grad.clone()))
        assert torch.allclose(results[0][0], results[1][0], atol=1e-4)
        assert torch.allclose(results[0][1], results[1][1], atol=1e-4)
    assert compiled_graphs() - before <= 6


def test_teacher_features_come_with_the_batch_from_loader_workers(
    tmp_path, samples, codec, make_micro
):
    from models.expert import FrozenModuleExpert, PrecomputedExpert, precompute_features
    from models.train_batches import training_batches

    class Pool(torch.nn.Module):
        def forward(self, pixel_values):
            return {"patch": torch.nn.functional.avg_pool2d(pixel_values, 16)}

    config = make_micro("full", expert_patch_dim=3)
    examples = examples_from_samples(samples)
    encoder = Encoder(config, codec)
    precompute_features(FrozenModuleExpert(Pool()), examples, tmp_path, encoder, progress=False)
    expert = PrecomputedExpert(tmp_path)
    settings = TrainConfig(batch_size=3, workers=2)
    batches = list(training_batches(examples, encoder, settings, 0, 1, 0, 2, expert=expert))
    for batch in batches:
        loaded = batch["expert_features"]["patch"]
        assert torch.equal(loaded, expert.load(batch["image_ids"])["patch"])
        assert loaded.shape[0] == len(batch["ids"])


def test_memory_estimate_counts_the_parameters_and_fits_the_defaults_in_80_gb(codec, make_micro):
    config = make_micro()
    assert count_parameters(config, len(codec)) == sum(
        p.numel() for p in PixelSAIL(config, codec).parameters()
    )
    half = make_config("0.5b")
    assert half.activation_checkpointing and not make_config("tiny").activation_checkpointing
    with_checkpoints = estimate_training_memory(half, 8)
    without = estimate_training_memory(make_config("0.5b", activation_checkpointing=False), 8)
    assert with_checkpoints.total < 0.5 * without.total
    assert with_checkpoints.total < 60 * 2**30  # benchmarks/gpu_train.py's defaults
    assert estimate_training_memory(make_config("3b"), 4).total < 75 * 2**30
