"""Building blocks of the model around the decoder: patch embedding, upsampler, losses.

API:
  PatchEmbedding(config)     pixel_values (B, 3, S, S) -> (B, N, D): raw 16x16 patches through
                             one linear layer, plus learned row and column embeddings (2D)
  UpsampleBlock(c_in, c_out) (B, C_in, h, w) -> (B, C_out, 2h, 2w): transposed conv k2 s2 ->
                             GELU -> depthwise 3x3 + pointwise 1x1 -> LayerNorm over channels
  MaskFeatures(config)       image hidden states (B, N, D) -> (B, C, h', w') mask features
                             (upsampled by 2^blocks when config.upsampler, else the patch grid)
  attention_mask(n_image, text_valid) -> (B, 1, L, L) bool, True = may attend
  position_ids(n_image, text_valid)   -> (B, L) long
  point_mask_losses(logits, target, points, generator) -> (sigmoid CE, dice), each (B,)

Abbreviations: B batch, S image side, N patches, D hidden size, C mask_dim, T text tokens,
L = N + T, CE cross-entropy.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from models.config import PixelSAILConfig


class PatchEmbedding(nn.Module):
    def __init__(self, config: PixelSAILConfig):
        super().__init__()
        self.patch = config.patch_size
        self.grid = config.grid
        self.linear = nn.Linear(3 * self.patch * self.patch, config.hidden_size)
        self.rows = nn.Embedding(config.max_grid, config.hidden_size)
        self.cols = nn.Embedding(config.max_grid, config.hidden_size)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        patches = F.unfold(pixel_values, kernel_size=self.patch, stride=self.patch)
        embeddings = self.linear(patches.transpose(1, 2))
        index = torch.arange(self.grid, device=pixel_values.device)
        position = self.rows(index)[:, None, :] + self.cols(index)[None, :, :]
        return embeddings + position.reshape(self.grid * self.grid, -1)


class UpsampleBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.up = nn.ConvTranspose2d(c_in, c_out, kernel_size=2, stride=2)
        self.depthwise = nn.Conv2d(c_out, c_out, kernel_size=3, padding=1, groups=c_out)
        self.pointwise = nn.Conv2d(c_out, c_out, kernel_size=1)
        self.norm = nn.LayerNorm(c_out)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        features = self.pointwise(self.depthwise(F.gelu(self.up(features))))
        return self.norm(features.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class MaskFeatures(nn.Module):
    def __init__(self, config: PixelSAILConfig):
        super().__init__()
        self.grid = config.grid
        if config.upsampler:
            dims = [config.hidden_size] + [config.mask_dim] * config.upsample_blocks
            self.layers = nn.Sequential(
                *[UpsampleBlock(a, b) for a, b in zip(dims[:-1], dims[1:], strict=True)]
            )
        else:
            self.layers = nn.Conv2d(config.hidden_size, config.mask_dim, kernel_size=1)

    def forward(self, image_hidden: torch.Tensor) -> torch.Tensor:
        batch, _, hidden = image_hidden.shape
        grid = image_hidden.transpose(1, 2).reshape(batch, hidden, self.grid, self.grid)
        return self.layers(grid)


def attention_mask(n_image: int, text_valid: torch.Tensor) -> torch.Tensor:
    """Image tokens attend to each other both ways; text attends causally; pads are never keys.

    text_valid: (B, T) bool. Returns (B, 1, L, L) bool with L = n_image + T.
    """
    batch, text = text_valid.shape
    length = n_image + text
    device = text_valid.device
    valid = torch.cat([torch.ones(batch, n_image, dtype=torch.bool, device=device), text_valid], 1)
    causal = torch.ones(length, length, dtype=torch.bool, device=device).tril()
    is_image = torch.arange(length, device=device) < n_image
    allowed = (causal | (is_image[:, None] & is_image[None, :]))[None] & valid[:, None, :]
    allowed |= torch.eye(length, dtype=torch.bool, device=device)[None]
    return allowed[:, None]


def position_ids(n_image: int, text_valid: torch.Tensor) -> torch.Tensor:
    """Image tokens 0..N-1 in raster order; text continues from N counting only real tokens."""
    batch = text_valid.shape[0]
    image = torch.arange(n_image, device=text_valid.device).expand(batch, n_image)
    text = n_image + (text_valid.long().cumsum(1) - 1).clamp(min=0)
    return torch.cat([image, text], 1)


def point_mask_losses(
    logits: torch.Tensor, target: torch.Tensor, points: int, generator: torch.Generator | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sigmoid CE and dice on ``points`` uniformly sampled locations per mask.

    logits: (B, h, w) at any resolution; target: (B, S, S) in [0, 1]. Both are read at the same
    normalised coordinates (bilinear), so neither is resized to the other.
    """
    batch = logits.shape[0]
    points = min(points, target.shape[-1] * target.shape[-2])
    coords = torch.rand(batch, 1, points, 2, generator=generator, device="cpu") * 2 - 1
    coords = coords.to(device=logits.device, dtype=logits.dtype)
    sampled = F.grid_sample(logits[:, None], coords, align_corners=False)[:, 0, 0]
    truth = F.grid_sample(target[:, None].to(logits.dtype), coords, align_corners=False)[:, 0, 0]
    ce = F.binary_cross_entropy_with_logits(sampled, truth, reduction="none").mean(1)
    probs = sampled.sigmoid()
    dice = 1 - (2 * (probs * truth).sum(1) + 1) / (probs.sum(1) + truth.sum(1) + 1)
    return ce, dice
