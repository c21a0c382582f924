"""Shapes, masks and attention for every switch combination; prompt injection is local
(the paper's architecture details: test_architecture.py)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from models.attention import dense_mask
from models.batching import Encoder, touched_patches
from models.data import examples_from_samples
from models.expert import FrozenModuleExpert
from models.model import PixelSAIL
from models.predict import PixelSAILPredictor

SWITCHES = list(itertools.product([False, True], repeat=3))


class PoolingExpert(torch.nn.Module):
    """A frozen stand-in expert for tests: fixed random projections of pooled pixels."""

    def __init__(self):
        super().__init__()
        self.patch = torch.nn.Conv2d(3, 8, kernel_size=8, stride=8)
        self.pixel = torch.nn.Conv2d(3, 6, kernel_size=4, stride=4)

    def forward(self, pixels):
        return {"patch": self.patch(pixels), "pixel": self.pixel(pixels)}


@pytest.mark.parametrize("upsampler,injection,distillation", SWITCHES)
def test_every_switch_combination_trains_and_predicts(
    samples, codec, make_micro, make_batch, upsampler, injection, distillation
):
    config = make_micro(upsampler=upsampler, prompt_injection=injection, distillation=distillation)
    model = PixelSAIL(config, codec)
    batch = make_batch(config, codec, samples)
    size = batch["input_ids"].shape[0]
    hidden, features = model.encode(batch)
    assert hidden.shape == (size, config.grid**2 + batch["input_ids"].shape[1], 32)
    side = config.grid * (2**config.upsample_blocks if upsampler else 1)
    assert features.shape == (size, config.mask_dim, side, side)
    expert = FrozenModuleExpert(PoolingExpert()).features(batch["pixel_values"], [])
    losses = model(batch, expert if distillation else None)
    assert torch.isfinite(losses["loss"]) and losses["mask_dice"] > 0
    assert (losses["distill"] > 0) == distillation
    losses["loss"].backward()
    assert model.patch_embedding.linear.weight.grad.abs().sum() > 0
    assert model.seg_mlp[0].weight.grad.abs().sum() > 0
    predictions = PixelSAILPredictor(model, codec, max_new_tokens=3).predict_batch(samples)
    for sample, prediction in zip(samples, predictions, strict=True):
        if sample.task == "vt_res":
            assert prediction is None or prediction["size"] == [sample.height, sample.width]
        else:
            assert isinstance(prediction, str)


def test_vt_res_mask_is_at_the_original_size(samples, codec, make_micro):
    model = PixelSAIL(make_micro(), codec)
    predictor = PixelSAILPredictor(model, codec)
    sample = next(s for s in samples if s.task == "vt_res")
    wide = sample.copy_with(width=97, height=45)
    features = torch.randn(model.config.mask_dim, 16, 16)
    mask = predictor._mask(torch.randn(32), features, (32, 64), (64, 64), wide)
    assert mask.shape == (45, 97)
    assert set(np.unique(mask)) <= {0, 1}


def test_attention_is_bidirectional_among_image_tokens_and_causal_for_text():
    valid = torch.tensor([[True, True, True, False, True, True]])
    allowed = dense_mask(3, valid)[0, 0]
    assert allowed[:3, :3].all()
    assert not allowed[:3, 3:].any()
    assert not allowed[4:, 3].any()
    assert allowed[4, :3].all() and allowed[4, 4] and not allowed[4, 5]
    assert allowed[5, [0, 1, 2, 4, 5]].all()


def test_image_tokens_ignore_text_and_see_later_patches(samples, codec, make_micro, make_batch):
    model = PixelSAIL(make_micro(), codec).eval()
    batch = make_batch(model.config, codec, samples[:1], train=False)
    with torch.no_grad():
        base, _ = model.encode(batch)
        changed_text = dict(batch, input_ids=batch["input_ids"].flip(1))
        text_hidden, _ = model.encode(changed_text)
        pixels = batch["pixel_values"].clone()
        pixels[..., -16:, -16:] = 1.0
        late_patch, _ = model.encode(dict(batch, pixel_values=pixels))
    n = batch["image_valid"].shape[1]
    assert torch.allclose(base[:, :n], text_hidden[:, :n], atol=1e-5)
    assert not torch.allclose(base[:, 0], late_patch[:, 0], atol=1e-5)


def test_prompt_token_changes_exactly_the_patches_its_mask_touches(codec, make_micro):
    config = make_micro()
    model = PixelSAIL(config, codec)
    grid = config.grid
    mask = np.zeros((50, 70), dtype=np.uint8)
    mask[0, 0] = 1
    mask[30:40, 45:60] = 1
    touched = torch.from_numpy(touched_patches(mask, (grid, grid)))
    ys, xs = np.nonzero(mask)
    expected = {(int(y * grid // 50), int(x * grid // 70)) for y, x in zip(ys, xs, strict=True)}
    assert {divmod(int(i), grid) for i in touched.nonzero()[:, 0]} == expected
    pixels = torch.rand(1, 3, config.image_size, config.image_size) * 2 - 1
    none = torch.zeros(1, config.max_prompts, grid * grid, dtype=torch.bool)
    with_prompt = none.clone()
    with_prompt[0, 1] = touched
    with torch.no_grad():
        plain = model.image_embeddings(pixels, none)
        prompted = model.image_embeddings(pixels, with_prompt)
    changed = (prompted - plain).abs().amax(-1)[0] > 0
    assert torch.equal(changed, touched)
    expected_delta = model.prompt_projection(model.embed_tokens(model.prompt_ids[1:2]))[0]
    assert torch.allclose(
        prompted[0, touched] - plain[0, touched],
        expected_delta.expand(int(touched.sum()), -1),
        atol=1e-5,
    )


def test_pooled_baseline_puts_patch_means_into_prompt_tokens(
    samples, codec, make_micro, make_batch
):
    model = PixelSAIL(make_micro("plain"), codec)
    batch = make_batch(model.config, codec, samples[:1], train=False)
    with torch.no_grad():
        image = model.image_embeddings(batch["pixel_values"], batch["prompt_patches"])
        text = model.text_embeddings(batch["input_ids"], image, batch["prompt_patches"])
        plain = model.embed_tokens(batch["input_ids"])
    where = batch["input_ids"][0] == codec.prompt_ids[0]
    touched = batch["prompt_patches"][0, 0]
    expected = image[0, touched].mean(0)
    assert torch.allclose(text[0, where] - plain[0, where], expected[None], atol=1e-5)
    assert torch.equal(text[0, ~where], plain[0, ~where])


def test_precomputed_expert_features_feed_the_distillation_loss(
    tmp_path, samples, codec, make_micro, make_batch
):
    from models.expert import PrecomputedExpert, precompute_features

    config = make_micro("full")
    frozen = FrozenModuleExpert(PoolingExpert())
    examples = examples_from_samples(samples)
    encoder = Encoder(config, codec)
    written = precompute_features(frozen, examples, tmp_path, encoder, progress=False)
    assert written == len({e.image_id for e in examples})
    batch = make_batch(config, codec, samples)
    live = frozen.features(batch["pixel_values"], batch["image_ids"])
    stored = PrecomputedExpert(tmp_path).features(batch["pixel_values"], batch["image_ids"])
    assert all(torch.allclose(live[k], stored[k], atol=1e-6) for k in ("patch", "pixel"))
    losses = PixelSAIL(config, codec)(batch, stored)
    assert losses["distill"] > 0
