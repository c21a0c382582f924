"""Shared fixtures for the model tests: a few SYNTHETIC samples, a codec, a micro config, and
make_batch (samples -> a collated training or inference batch)."""

from __future__ import annotations

import pytest
import torch

from models.batching import Encoder, collate
from models.config import make_config
from models.data import examples_from_samples, training_texts
from models.synthetic import synthetic_samples
from models.tokenizer import TextCodec


@pytest.fixture(scope="session")
def samples():
    return synthetic_samples(2, seed=7, image_size=64)


@pytest.fixture(scope="session")
def codec(samples):
    return TextCodec.build(training_texts(examples_from_samples(samples)), vocab_size=400)


def micro_config(ablation: str = "inject", **overrides):
    """A model small enough for every-switch tests: 2 layers, width 32, 64x64 images."""
    values = dict(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        image_size=64,
        mask_dim=16,
        upsample_width=16,
        expert_patch_dim=8,
        expert_pixel_dim=6,
        mask_points=256,
    )
    return make_config("tiny", ablation, **{**values, **overrides})


@pytest.fixture
def make_micro():
    return micro_config


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def batch_of(config, codec, samples, train: bool = True, pad_side: str | None = None) -> dict:
    """Samples -> collated batch (right-padded text for training, left for inference)."""
    encoder = Encoder(config, codec)
    items = [encoder(e, with_answer=train) for e in examples_from_samples(samples, train=train)]
    side = pad_side or ("right" if train else "left")
    return collate(items, codec.pad_id, config.max_prompts, config, codec.seg_id, side)


@pytest.fixture
def make_batch():
    return batch_of
