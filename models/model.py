"""The Pixel-SAIL model: one Qwen2 decoder over image patches and text, plus a mask head.

API:
  build_language_model(config, vocab_size) -> Qwen2ForCausalLM   from config (random weights)
                                  or from the local HF checkpoint ``config.init_from``
  PixelSAIL(config, codec, language_model=None)
    .image_embeddings(pixel_values, prompt_patches)     -> (B, N, D) (prompt injection applied)
    .text_embeddings(input_ids, image_embeds, prompt_patches) -> (B, T, D)
    .encode(batch)           -> (hidden (B, L, D), mask features (B, C, h, w))
    .mask_logits(seg_hidden, mask_features) -> (B, h, w)
    .forward(batch, expert_features=None) -> dict of losses (``loss`` is the weighted total)

Sequence: [N image tokens][left-padded text]. Image tokens see each other both ways, text is
causal (models.layers.attention_mask). ``<PromptK>``: with prompt_injection every patch that
prompt K's mask touches gets ``prompt_projection(embedding(<PromptK>))`` added; without it (the
plain baseline) the ``<PromptK>`` text token gets the mean of those patch embeddings instead.
``[SEG]``: its last hidden state through an MLP, dot product with the mask features.
Losses: LM CE (weight 0.1 in batches with masks, else 1), mask sigmoid CE (2.0) + dice (0.5) on
sampled points, distillation MSE (0.5) against a frozen expert's "patch" / "pixel" features.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from models.config import PixelSAILConfig
from models.layers import (
    MaskFeatures,
    PatchEmbedding,
    attention_mask,
    point_mask_losses,
    position_ids,
)
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
            str(path), local_files_only=True, attn_implementation="sdpa", dtype=torch.float32
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
    lm_config._attn_implementation = "sdpa"
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
        self.prompt_projection = nn.Linear(hidden, hidden)
        self.mask_features = MaskFeatures(config)
        self.seg_mlp = nn.Sequential(
            nn.Linear(hidden, hidden), nn.GELU(), nn.Linear(hidden, config.mask_dim)
        )
        if config.distillation:
            self.distill_patch = nn.Linear(hidden, config.expert_patch_dim)
            self.distill_pixel = nn.Conv2d(config.mask_dim, config.expert_pixel_dim, 1)

    @property
    def n_image(self) -> int:
        return self.config.grid**2

    def embed_tokens(self, ids: torch.Tensor) -> torch.Tensor:
        return self.lm.get_input_embeddings()(ids)

    def image_embeddings(
        self, pixel_values: torch.Tensor, prompt_patches: torch.Tensor
    ) -> torch.Tensor:
        """pixel_values (B, 3, S, S), prompt_patches (B, P, N) bool -> (B, N, D)."""
        embeds = self.patch_embedding(pixel_values)
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

    def encode(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the decoder once: hidden states (B, L, D) and mask features (B, C, h, w)."""
        image = self.image_embeddings(batch["pixel_values"], batch["prompt_patches"])
        text = self.text_embeddings(batch["input_ids"], image, batch["prompt_patches"])
        embeds = torch.cat([image, text.to(image.dtype)], 1)
        valid = batch["text_valid"]
        output = self.lm.model(
            inputs_embeds=embeds,
            attention_mask=attention_mask(self.n_image, valid),
            position_ids=position_ids(self.n_image, valid),
            use_cache=False,
        )
        hidden = output.last_hidden_state
        return hidden, self.mask_features(hidden[:, : self.n_image])

    def mask_logits(self, seg_hidden: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """seg_hidden (B, D), features (B, C, h, w) -> mask logits (B, h, w)."""
        return torch.einsum("bc,bchw->bhw", self.seg_mlp(seg_hidden), features)

    def forward(
        self,
        batch: dict,
        expert_features: dict[str, torch.Tensor] | None = None,
        generator: torch.Generator | None = None,
    ) -> dict[str, torch.Tensor]:
        """Training losses. expert_features: {"patch": (B, Cp, h, w), "pixel": (B, Cx, h, w)}."""
        config = self.config
        hidden, features = self.encode(batch)
        text_hidden = hidden[:, self.n_image :]
        labels = batch["labels"][:, 1:]
        selected = labels != -100
        logits = self.lm.lm_head(text_hidden[:, :-1][selected])
        lm_loss = F.cross_entropy(logits.float(), labels[selected])
        has_target = batch["has_target"]
        zero = hidden.new_zeros(()).float()
        losses = {"lm": lm_loss, "mask_ce": zero, "mask_dice": zero, "distill": zero}
        lm_weight = 1.0
        if has_target.any():
            lm_weight = config.weight_lm_with_masks
            rows = has_target.nonzero()[:, 0]
            is_seg = batch["input_ids"][rows] == self.seg_id
            first_seg = is_seg.float().argmax(1)
            seg_hidden = text_hidden[rows, first_seg]
            mask_logits = self.mask_logits(seg_hidden, features[rows]).float()
            ce, dice = point_mask_losses(
                mask_logits, batch["target"][rows], config.mask_points, generator
            )
            keep = is_seg.any(1).float()
            losses["mask_ce"] = (ce * keep).sum() / keep.sum().clamp(min=1)
            losses["mask_dice"] = (dice * keep).sum() / keep.sum().clamp(min=1)
        if config.distillation and expert_features is not None:
            losses["distill"] = self.distillation_loss(
                hidden[:, : self.n_image], features, expert_features
            )
        losses["loss"] = (
            lm_weight * losses["lm"]
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
        grid = self.config.grid
        patch = self.distill_patch(image_hidden).transpose(1, 2)
        patch = patch.reshape(patch.shape[0], -1, grid, grid).float()
        pixel = self.distill_pixel(features).float()
        loss = image_hidden.new_zeros(()).float()
        for name, ours in (("patch", patch), ("pixel", pixel)):
            if name in expert:
                theirs = F.interpolate(
                    expert[name].float(), size=ours.shape[-2:], mode="bilinear", align_corners=False
                )
                loss = loss + F.mse_loss(ours, theirs)
        return loss
