"""Building blocks of the model around the decoder: patch embedding, upsampler, mask losses.

API:
  PatchEmbedding(config)     pixel_values (B, 3, H, W) -> (B, N, D), N = (H/p)(W/p) in raster
                             order: raw 16x16 patches through one linear layer (bias per
                             config.patch_bias), plus learned row/column embeddings when
                             config.learned_positions
  UpsampleBlock(c_in, c_out) (B, C_in, h, w) -> (B, C_out, 2h, 2w): transposed conv k2 s2 ->
                             GELU -> depthwise 3x3 + pointwise 1x1 -> LayerNorm over channels
  MaskFeatures(config)       image hidden (B, N, D), grid (gh, gw) -> (B, C, h', w') mask
                             features: [MLP to the authors' width] -> upsample blocks -> MLP to
                             mask_dim (config.upsampler), else a 1x1 conv on the patch grid;
                             each block and the post-MLP recomputed in backward with
                             config.activation_checkpointing
  sample_points(logits, count, config, generator) -> (B, count, 2) coords in [-1, 1]
  point_mask_losses(logits, target, extent, config, generator) -> (sigmoid CE, dice), each (B,)

Abbreviations: B batch, p patch size, N patches, D hidden size, C mask_dim, CE cross-entropy.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from models.config import PixelSAILConfig


class PatchEmbedding(nn.Module):
    def __init__(self, config: PixelSAILConfig):
        super().__init__()
        self.patch = config.patch_size
        self.linear = nn.Linear(3 * self.patch * self.patch, config.hidden_size, config.patch_bias)
        self.learned = config.learned_positions
        if self.learned:
            self.rows = nn.Embedding(config.max_grid, config.hidden_size)
            self.cols = nn.Embedding(config.max_grid, config.hidden_size)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        patches = F.unfold(pixel_values, kernel_size=self.patch, stride=self.patch)
        embeddings = self.linear(patches.transpose(1, 2))
        if not self.learned:
            return embeddings
        rows, cols = pixel_values.shape[-2] // self.patch, pixel_values.shape[-1] // self.patch
        device = pixel_values.device
        position = (
            self.rows(torch.arange(rows, device=device))[:, None, :]
            + self.cols(torch.arange(cols, device=device))[None, :, :]
        )
        return embeddings + position.reshape(rows * cols, -1)


class UpsampleBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.up = nn.ConvTranspose2d(c_in, c_out, kernel_size=2, stride=2)
        self.depthwise = nn.Conv2d(c_out, c_out, kernel_size=3, padding=1, groups=c_out)
        self.pointwise = nn.Conv2d(c_out, c_out, kernel_size=1)
        self.norm = nn.LayerNorm(c_out, eps=1e-6)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        features = self.pointwise(self.depthwise(F.gelu(self.up(features))))
        return self.norm(features.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def _mlp(c_in: int, c_mid: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(c_in, c_mid), nn.ReLU(), nn.Linear(c_mid, c_out))


class MaskFeatures(nn.Module):
    def __init__(self, config: PixelSAILConfig):
        super().__init__()
        hidden, width = config.hidden_size, config.mask_width
        self.upsampler = config.upsampler
        self.checkpointing = config.activation_checkpointing
        if config.upsampler:
            self.pre = _mlp(hidden, hidden, width) if width != hidden else nn.Identity()
            self.blocks = nn.Sequential(
                *[UpsampleBlock(width, width) for _ in range(config.upsample_blocks)]
            )
            self.post = _mlp(width, width, config.mask_dim)
        else:
            self.blocks = nn.Conv2d(hidden, config.mask_dim, kernel_size=1)

    def forward(self, image_hidden: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
        """image_hidden (B, gh*gw, D) in raster order -> (B, C, h', w')."""
        batch = image_hidden.shape[0]
        if not self.upsampler:
            return self.blocks(image_hidden.transpose(1, 2).reshape(batch, -1, *grid))
        features = self.pre(image_hidden).transpose(1, 2).reshape(batch, -1, *grid)
        for block in self.blocks:
            if self.checkpointing and self.training:
                features = checkpoint(block, features, use_reentrant=False)
            else:
                features = block(features)
        if self.checkpointing and self.training:
            return checkpoint(self._post, features, use_reentrant=False)
        return self._post(features)

    def _post(self, features: torch.Tensor) -> torch.Tensor:
        return self.post(features.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def _read(maps: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
    """maps (B, h, w), coords (B, K, 2) as (x, y) in [-1, 1] -> (B, K), bilinear."""
    return F.grid_sample(maps[:, None], coords[:, None], align_corners=False)[:, 0, 0]


def sample_points(
    logits: torch.Tensor,
    count: int,
    extent: torch.Tensor,
    config: PixelSAILConfig,
    generator: torch.Generator | None,
) -> torch.Tensor:
    """``count`` point coords per mask (B, count, 2), inside each mask's valid ``extent``
    (B, 2) = (x, y) fraction of the padded frame. "uncertainty" (Mask2Former / the authors):
    draw oversample_ratio * count random points, keep the importance_ratio * count whose
    logits are nearest 0, fill the rest with fresh random points; "uniform": all random."""

    device = generator.device if generator is not None else logits.device

    def uniform(n: int) -> torch.Tensor:
        # drawn where the generator lives (the training device: no host round trip)
        unit = torch.rand(logits.shape[0], n, 2, generator=generator, device=device)
        unit = unit.to(device=logits.device, dtype=logits.dtype)
        return unit * 2 * extent[:, None].to(logits.dtype) - 1

    if config.point_sampling == "uniform":
        return uniform(count)
    keep = int(config.importance_ratio * count)
    candidates = uniform(int(config.oversample_ratio * count))
    with torch.no_grad():
        uncertainty = -_read(logits.detach(), candidates).abs()
        index = uncertainty.topk(keep, dim=1).indices
    chosen = candidates.gather(1, index[..., None].expand(-1, -1, 2))
    return torch.cat([chosen, uniform(count - keep)], 1)


def point_mask_losses(
    logits: torch.Tensor,
    target: torch.Tensor,
    extent: torch.Tensor,
    config: PixelSAILConfig,
    generator: torch.Generator | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sigmoid CE and dice on config.mask_points sampled locations per mask.

    logits: (K, h, w) at any resolution; target: (K, Ht, Wt) in [0, 1]; both cover the same
    padded frame, of which ``extent`` (K, 2) is the image's (x, y) fraction. Both are read at
    the same normalised coordinates (bilinear), so neither is resized to the other.
    """
    points = min(config.mask_points, target.shape[-1] * target.shape[-2])
    coords = sample_points(logits, points, extent, config, generator)
    sampled = _read(logits, coords)
    truth = _read(target.to(logits.dtype), coords)
    ce = F.binary_cross_entropy_with_logits(sampled, truth, reduction="none").mean(1)
    probs = sampled.sigmoid()
    dice = 1 - (2 * (probs * truth).sum(1) + 1) / (probs.sum(1) + truth.sum(1) + 1)
    return ce, dice
