"""The optimisation recipe (models.optim): decay groups, warmup, cosine to zero."""

from __future__ import annotations

import pytest
import torch

from models.config import TrainConfig
from models.optim import make_optimizer


class _Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_tokens = torch.nn.Embedding(10, 4)
        self.proj = torch.nn.Linear(4, 4)
        self.norm = torch.nn.LayerNorm(4)


def test_decay_on_every_parameter_by_default_as_the_authors():
    model = _Tiny()
    optimizer, _ = make_optimizer(model, TrainConfig(steps=20))
    decay, no_decay = optimizer.param_groups
    assert len(decay["params"]) == len(list(model.parameters())) and not no_decay["params"]


def test_decay_only_on_matrices_and_the_schedule_warms_up_then_decays_to_zero():
    model = _Tiny()
    config = TrainConfig(
        steps=20, lr=1e-3, weight_decay=0.05, warmup_ratio=0.2, decay_everything=False
    )
    optimizer, scheduler = make_optimizer(model, config)
    decay, no_decay = optimizer.param_groups
    assert decay["weight_decay"] == 0.05 and no_decay["weight_decay"] == 0.0
    assert [p.shape for p in decay["params"]] == [model.proj.weight.shape]
    assert len(no_decay["params"]) == 4  # embedding, linear bias, norm weight and bias
    rates = []
    for _ in range(config.steps):
        rates.append(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
    assert rates[:4] == pytest.approx([2.5e-4, 5e-4, 7.5e-4, 1e-3])  # 4 warmup steps
    assert rates[4] == pytest.approx(1e-3) and rates[4:] == sorted(rates[4:], reverse=True)
    assert scheduler.get_last_lr()[0] == pytest.approx(0.0, abs=1e-12)
