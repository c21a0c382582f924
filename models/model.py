"""The Pixel-SAIL model: one Qwen2 decoder over image patches and text, plus a mask head.

API:
  build_language_model(config, vocab_size) -> Qwen2ForCausalLM   from config (random weights)
                                  or from the local HF checkpoint ``config.init_from``
  PixelSAIL(config, codec, language_model=None)
    .image_embeddings(pixel_values, prompt_patches)     -> (B, N, D) (<vpatch> and prompt
                                                        injection applied)
    .text_embeddings(input_ids, image_embeds, prompt_patches) -> (B, T, D)
    .prefill_inputs(batch)   -> (embeds (B, L, D), key_valid (B, L), positions (B, L, 2))
    .attention_mask(batch, cache=None) -> the decoder's mask (models.attention); the training
                             loop builds it outside the (compiled) forward as batch["attention"]
    .encode(batch, cache=None) -> (hidden (B, L, D), mask features (B, C, h, w))
    .mask_logits(seg_hidden, mask_features) -> (K, h, w)   seg_hidden (K, D), features (K, ...)
    .forward(batch, expert_features=None, generator=None) -> dict of losses (``loss`` = total)

Sequence: [N image tokens (the batch's padded grid, raster order)][text]. Image tokens see each
other both ways, text is causal, padding is never a key (models.attention). Every patch gets
the learned ``<vpatch>`` embedding added (config.vpatch_embedding), as the authors' image tokens
are ``<vpatch>`` tokens plus their patch projection. ``<PromptK>``: with prompt_injection every
patch that prompt K's mask touches gets ``prompt_projection(embedding(<PromptK>))`` added
(bias-free by default, so a patch of no prompt gets 0: the authors' zeroed ``<NO_Prompt>``
row); without it (the plain baseline) the ``<PromptK>`` text token gets the mean of those patch
embeddings instead. ``[SEG]``: every one in the answer is trained; its last hidden state
through an MLP, dot product with the mask features. A batch without a [SEG] still runs the
mask heads with a zero-weighted loss (the authors' x0 losses), so every parameter has a
gradient on every rank: DDP and FSDP see the same graph and AdamW state exists for every
parameter (resume never misses one). Losses: LM CE weighted per sample (0.1 for a sample
with masks, else 1; each sample's tokens averaged, then the samples), mask sigmoid CE
(2.0) + dice (0.5) on uncertainty-sampled points per [SEG], distillation MSE (0.5) against a
frozen expert's "patch" / "pixel" features. No step reads a value back to the host: which
tokens and masks are supervised comes with the batch (models.batching.collate).
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from models.attention import ATTENTION, choose_mask, positions, run_decoder
from models.config import PixelSAILConfig
from models.layers import MaskFeatures, PatchEmbedding, point_mask_losses
from models.tokenizer import TextCodec
from perbench.errors import DependencyError

# fields that PixelSAILConfig and Qwen2Config name alike
LM_SHAPE_FIELDS = (
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "max_position_embeddings",
    "rms_norm_eps",
    "tie_word_embeddings",
)


def build_language_model(config: PixelSAILConfig, vocab_size: int):
    """A Qwen2 decoder: random init from ``config``, or ``config.init_from`` (a local folder).

    With ``init_from`` the checkpoint's shapes overwrite the config's, and its embeddings are
    resized to ``vocab_size`` (the codec adds [SEG], <PromptK> and its markers).
    """
    from transformers import AutoModelForCausalLM, Qwen2Config, Qwen2ForCausalLM

    if config.init_from:
        path = Path(config.init_from)
        if not (path / "config.json").is_file():
            raise DependencyError(
                "no HF checkpoint here (config.json missing)",
                where=str(path),
                hint="--init takes a local folder saved with save_pretrained",
            )
        model = AutoModelForCausalLM.from_pretrained(
            str(path), local_files_only=True, attn_implementation=ATTENTION, dtype=torch.float32
        )
        for name in LM_SHAPE_FIELDS:
            setattr(config, name, getattr(model.config, name))
        config.rope_theta = float(getattr(model.config, "rope_theta", config.rope_theta))
        model.resize_token_embeddings(vocab_size)
        config.vocab_size = vocab_size
        return model
    config.vocab_size = vocab_size
    lm_config = Qwen2Config(
        vocab_size=vocab_size,
        rope_theta=config.rope_theta,
        **{name: getattr(config, name) for name in LM_SHAPE_FIELDS},
    )
    lm_config._attn_implementation = ATTENTION
    return Qwen2ForCausalLM(lm_config)


class PixelSAIL(nn.Module):
    def __init__(self, config: PixelSAILConfig, codec: TextCodec, language_model=None):
        super().__init__()
        self.config = config
        self.lm = language_model or build_language_model(config, len(codec))
        hidden = config.hidden_size
        self.seg_id, self.end_id, self.answer_id, self.pad_id = (
            codec.seg_id,
            codec.end_id,
            codec.answer_id,
            codec.pad_id,
        )
        self.register_buffer("prompt_ids", torch.tensor(codec.prompt_ids[: config.max_prompts]))
        self.patch_embedding = PatchEmbedding(config)
        if config.vpatch_embedding:
            std = getattr(self.lm.config, "initializer_range", 0.02)
            self.vpatch = nn.Parameter(torch.randn(hidden) * std)
        if config.prompt_injection:
            self.prompt_projection = nn.Linear(hidden, hidden, config.prompt_projection_bias)
        self.mask_features = MaskFeatures(config)
        width = config.mask_width
        self.seg_mlp = nn.Sequential(
            nn.Linear(hidden, width), nn.ReLU(), nn.Linear(width, config.mask_dim)
        )
        if config.distillation:
            self.distill_patch = nn.Linear(hidden, config.expert_patch_dim)
            self.distill_pixel = nn.Conv2d(config.mask_dim, config.expert_pixel_dim, 1)

    def embed_tokens(self, ids: torch.Tensor) -> torch.Tensor:
        return self.lm.get_input_embeddings()(ids)

    def image_embeddings(
        self, pixel_values: torch.Tensor, prompt_patches: torch.Tensor
    ) -> torch.Tensor:
        """pixel_values (B, 3, H, W), prompt_patches (B, P, N) bool -> (B, N, D)."""
        embeds = self.patch_embedding(pixel_values)
        if self.config.vpatch_embedding:
            embeds = embeds + self.vpatch.to(embeds.dtype)
        if self.config.prompt_injection:
            prompts = self.prompt_projection(self.embed_tokens(self.prompt_ids))
            touched = prompt_patches[:, : prompts.shape[0]].to(embeds.dtype)
            embeds = embeds + touched.transpose(1, 2) @ prompts.to(embeds.dtype)
        return embeds

    def text_embeddings(
        self, input_ids: torch.Tensor, image_embeds: torch.Tensor, prompt_patches: torch.Tensor
    ) -> torch.Tensor:
        """input_ids (B, T) -> (B, T, D); the plain baseline pools patches into <PromptK>."""
        embeds = self.embed_tokens(input_ids)
        if not self.config.prompt_injection:
            touched = prompt_patches[:, : len(self.prompt_ids)].to(image_embeds.dtype)
            pooled = touched @ image_embeds / touched.sum(-1, keepdim=True).clamp(min=1)
            is_prompt = (input_ids[..., None] == self.prompt_ids).to(image_embeds.dtype)
            embeds = embeds + is_prompt @ pooled
        return embeds

    def prefill_inputs(self, batch: dict):
        """(embeds (B, L, D), key_valid (B, L) bool, positions (B, L, 2)) of a batch."""
        image = self.image_embeddings(batch["pixel_values"], batch["prompt_patches"])
        text = self.text_embeddings(batch["input_ids"], image, batch["prompt_patches"])
        embeds = torch.cat([image, text.to(image.dtype)], 1)
        key_valid = torch.cat([batch["image_valid"], batch["text_valid"]], 1)
        grid = tuple(batch["pixel_values"].shape[-2 + i] // self.config.patch_size for i in (0, 1))
        where = positions(batch["grids"], grid, batch["text_valid"], self.config.rope_2d)
        return embeds, key_valid, where

    def attention_mask(self, batch: dict, cache=None):
        """The decoder's attention mask for ``batch`` (built eagerly, never inside a compile)."""
        key_valid = torch.cat([batch["image_valid"], batch["text_valid"]], 1)
        return choose_mask(
            self.config.attention,
            batch["image_valid"].shape[1],
            key_valid,
            batch["uniform_grid"],
            batch["right_padded"] and cache is None,
        )

    def encode(self, batch: dict, cache=None) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the decoder once: hidden states (B, L, D) and mask features (B, C, h, w).
        Uses batch["attention"] when the caller built the mask, else builds it."""
        embeds, key_valid, where = self.prefill_inputs(batch)
        n_image = batch["image_valid"].shape[1]
        mask = batch.get("attention") if cache is None else None
        if mask is None:
            mask = self.attention_mask(batch, cache)
        checkpointing = self.config.activation_checkpointing and self.training
        hidden = run_decoder(self.lm.model, embeds, mask, where, cache, checkpointing)
        image_hidden = hidden[:, :n_image] * batch["image_valid"][..., None].to(hidden.dtype)
        grid = tuple(batch["pixel_values"].shape[-2 + i] // self.config.patch_size for i in (0, 1))
        return hidden, self.mask_features(image_hidden, grid)

    def mask_logits(self, seg_hidden: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """seg_hidden (K, D), features (K, C, h, w) -> mask logits (K, h, w)."""
        return torch.einsum("kc,kchw->khw", self.seg_mlp(seg_hidden), features)

    def forward(
        self,
        batch: dict,
        expert_features: dict[str, torch.Tensor] | None = None,
        generator: torch.Generator | None = None,
    ) -> dict[str, torch.Tensor]:
        """Training losses. expert_features: {"patch": (B, Cp, h, w), "pixel": (B, Cx, h, w)}."""
        config = self.config
        hidden, features = self.encode(batch)
        n_image = batch["image_valid"].shape[1]
        text_hidden = hidden[:, n_image:]
        logits = self.lm.lm_head(text_hidden[batch["lm_rows"], batch["lm_cols"]]).float()
        token_loss = F.cross_entropy(logits, batch["lm_labels"], reduction="none")
        zero = hidden.new_zeros(()).float()
        losses = {
            "lm": (token_loss * batch["lm_mean"]).sum().detach(),
            "mask_ce": zero,
            "mask_dice": zero,
            "distill": zero,
        }
        lm_weighted = (token_loss * batch["lm_weight"]).sum()
        if batch["n_seg"]:
            rows = batch["seg_rows"]
            seg_hidden = text_hidden[rows, batch["seg_cols"]]
            mask_logits = self.mask_logits(seg_hidden, features[rows]).float()
            ce, dice = point_mask_losses(
                mask_logits, batch["seg_targets"], batch["seg_extent"], config, generator
            )
            losses["mask_ce"], losses["mask_dice"] = ce.mean(), dice.mean()
        else:
            # the authors' x0 loss: the mask heads stay in the graph (gradient 0, not None)
            unused = self.mask_logits(text_hidden[:1, 0], features[:1]).float().sum()
            losses["mask_ce"] = unused * 0.0
        if config.distillation and expert_features is not None:
            losses["distill"] = self.distillation_loss(
                hidden[:, :n_image], features, expert_features
            )
        losses["loss"] = (
            lm_weighted
            + config.weight_mask_ce * losses["mask_ce"]
            + config.weight_mask_dice * losses["mask_dice"]
            + config.weight_distill * losses["distill"]
        )
        return losses

    def distillation_loss(
        self, image_hidden: torch.Tensor, features: torch.Tensor, expert: dict[str, torch.Tensor]
    ) -> torch.Tensor:
        """MSE of projected patch tokens vs expert["patch"] and upsampled features vs
        expert["pixel"], each expert map resized (bilinear) to the model's resolution."""
        batch = image_hidden.shape[0]
        patch = self.distill_patch(image_hidden).transpose(1, 2)
        scale = 2**self.config.upsample_blocks if self.config.upsampler else 1
        grid = (features.shape[-2] // scale, features.shape[-1] // scale)
        patch = patch.reshape(batch, -1, *grid).float()
        pixel = self.distill_pixel(features).float()
        loss = image_hidden.new_zeros(()).float()
        for name, ours in (("patch", patch), ("pixel", pixel)):
            if name not in expert:  # x0: the head keeps a (zero) gradient
                loss = loss + ours.sum() * 0.0
                continue
            theirs = F.interpolate(
                expert[name].float(), size=ours.shape[-2:], mode="bilinear", align_corners=False
            )
            loss = loss + F.mse_loss(ours, theirs)
        return loss
