"""The paper's optimisation recipe: AdamW, weight decay on every parameter, warmup then cosine.

API:
  cosine_with_warmup(warmup, total) -> (step -> LR factor)   linear warmup for ``warmup``
                     steps, then cosine decay to 0 at ``total``
  make_optimizer(model, train_config) -> (AdamW, LambdaLR)   betas (0.9, 0.999); decay on
                     every parameter (the authors' AdamW; ``decay_everything``), or only on
                     parameters with 2+ dimensions except embeddings when it is off;
                     warmup ``warmup_ratio * steps`` (at least 1)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from models.config import TrainConfig


def cosine_with_warmup(warmup: int, total: int) -> Callable[[int], float]:
    """LR multiplier: linear warmup for ``warmup`` steps, then cosine decay to 0 at ``total``."""

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total - warmup)
        return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))

    return factor


def make_optimizer(
    model: torch.nn.Module, train_config: TrainConfig
) -> tuple[torch.optim.AdamW, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW over ``model``'s parameters (two weight-decay groups) and its LR schedule."""

    def decays(name: str, param: torch.Tensor) -> bool:
        return train_config.decay_everything or (param.ndim >= 2 and "embed" not in name)

    decay = [p for n, p in model.named_parameters() if decays(n, p)]
    no_decay = [p for n, p in model.named_parameters() if not decays(n, p)]
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": train_config.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=train_config.lr,
        betas=(0.9, 0.999),
    )
    warmup = max(1, round(train_config.warmup_ratio * train_config.steps))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, cosine_with_warmup(warmup, train_config.steps)
    )
    return optimizer, scheduler
