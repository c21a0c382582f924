"""Model configuration: one dataclass, a registry of named sizes, a registry of ablation switches.

API:
  PixelSAILConfig                 every shape and switch of the model (JSON round trip)
  SIZES                           name -> dict of fields: "tiny" (CPU tests), "0.5b", "3b"
  ABLATIONS                       name -> switch values, the paper's ablation ladder
  make_config(size, ablation="inject", **overrides) -> PixelSAILConfig
  TrainConfig                     the optimisation recipe (AdamW 4e-5, wd 0.05 on every
                                  parameter as the authors, warmup 5%, cosine) and how it
                                  runs (bf16 on GPU, FSDP sharding under torchrun, gradient
                                  accumulation, DataLoader workers, torch.compile)

Architecture fields (the authors' model by default; each can be set back to the earlier
variant): keep_aspect (resize keeping the aspect ratio, long side up to image_size, so image
token counts vary; off = an image_size^2 square), rope_2d (height/width multimodal RoPE on image
tokens; off = 1D raster positions), learned_positions (row/column embeddings added to patches),
patch_bias, pixel_norm ("imagenet" mean/std or "symmetric" [-1, 1]), point_sampling
("uncertainty": oversample, keep the most uncertain, add random points; or "uniform"),
attention ("dense" boolean mask, "prefix" two mask-free SDPA calls, "flex" FlexAttention block
mask; "auto" = flex on CUDA, else prefix), upsample_width (None = min(hidden, 1024), the
authors' in_dim) with upsample_blocks blocks (3 for 16px patches: stride 16 -> 2),
vpatch_embedding (the authors' learned ``<vpatch>`` token embedding added to every patch),
prompt_projection_bias (off: the authors' bias-free vp_embed, so a patch no prompt touches
(their ``<NO_Prompt>`` row, zeroed) gets nothing), prompt_overlap ("smaller": a patch that
several prompts touch goes to the smallest mask, as the authors paint masks from large to small;
"sum": every prompt's embedding is added), prompt_shuffle (training only: the K regions of an
example get K of the max_prompts prompt tokens at random, as the authors shuffle them) with
not_in_image_rate (the authors' 5% extra examples asking about an unused ``<PromptK>``, answered
"<PromptK> is not in the image."), activation_checkpointing (recompute each decoder layer and
upsampler block in backward; on for 0.5b/3b) and length_bucket (the sequence length is padded to
a multiple of it, so compiled attention sees a handful of shapes; 0 = no padding).

Switches (each paper component can be turned off to rerun its ablation):
  upsampler         learnable upsampling of image features before the mask dot product;
                    off = the patch-grid features, bilinearly resized (plain baseline)
  prompt_injection  add linear(embedding(<PromptK>)) to the patches prompt K's mask touches;
                    off = the <PromptK> text token carries the mean of those patch embeddings
  distillation      MSE heads towards a frozen vision expert's features (training only)
The "0.5b" and "3b" sizes copy the decoder shapes of Qwen2.5-0.5B / Qwen2.5-3B; the vocabulary
size always comes from the tokenizer in use.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from perbench.errors import PerBenchError


@dataclass
class PixelSAILConfig:
    """Shapes and switches of the Pixel-SAIL model. ``image_size`` is the long side (or the
    square side without keep_aspect)."""

    size: str = "tiny"
    hidden_size: int = 128
    intermediate_size: int = 512
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    vocab_size: int = 0
    max_position_embeddings: int = 4096
    rope_theta: float = 10000.0
    rms_norm_eps: float = 1e-6
    tie_word_embeddings: bool = True
    patch_size: int = 16
    image_size: int = 128
    max_grid: int = 64
    max_prompts: int = 15
    mask_dim: int = 64
    upsample_blocks: int = 3
    upsample_width: int | None = None
    keep_aspect: bool = True
    rope_2d: bool = True
    learned_positions: bool = False
    patch_bias: bool = False
    pixel_norm: str = "imagenet"
    point_sampling: str = "uncertainty"
    oversample_ratio: float = 3.0
    importance_ratio: float = 0.75
    attention: str = "auto"
    upsampler: bool = True
    prompt_injection: bool = True
    distillation: bool = False
    expert_patch_dim: int = 32
    expert_pixel_dim: int = 32
    mask_points: int = 12544
    weight_mask_ce: float = 2.0
    weight_mask_dice: float = 0.5
    weight_lm_with_masks: float = 0.1
    weight_distill: float = 0.5
    vpatch_embedding: bool = True
    prompt_projection_bias: bool = False
    prompt_overlap: str = "smaller"
    prompt_shuffle: bool = True
    not_in_image_rate: float = 0.05
    activation_checkpointing: bool = False
    length_bucket: int = 0
    init_from: str | None = None

    @property
    def grid(self) -> int:
        """Patches along the long side (at most ``grid x grid`` image tokens)."""
        return self.image_size // self.patch_size

    @property
    def mask_width(self) -> int:
        """Channels of the upsampler: the authors' min(hidden, 1024) unless set."""
        return self.upsample_width or min(self.hidden_size, 1024)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PixelSAILConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise PerBenchError(f"unknown model config fields {unknown}", where="config.json")
        return cls(**data)

    def check(self) -> PixelSAILConfig:
        if self.image_size % self.patch_size:
            raise PerBenchError(
                f"image_size {self.image_size} is not a multiple of patch_size {self.patch_size}",
                hint="choose an image_size divisible by the patch size",
            )
        if self.grid > self.max_grid:
            raise PerBenchError(f"grid {self.grid} exceeds max_grid {self.max_grid}")
        if self.hidden_size % self.num_attention_heads:
            raise PerBenchError("hidden_size must be a multiple of num_attention_heads")
        choices = {
            "pixel_norm": ("imagenet", "symmetric"),
            "point_sampling": ("uncertainty", "uniform"),
            "attention": ("auto", "dense", "prefix", "flex"),
            "prompt_overlap": ("smaller", "sum"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise PerBenchError(f"{name} {getattr(self, name)!r} is not one of {allowed}")
        return self


# what the Qwen2.5-0.5B and -3B shapes have in common, plus this model's image-side sizes
_QWEN25_SHARED: dict[str, Any] = dict(
    num_key_value_heads=2,
    max_position_embeddings=32768,
    rope_theta=1000000.0,
    image_size=1024,
    mask_dim=512,
    activation_checkpointing=True,
    length_bucket=128,
    expert_patch_dim=256,
    expert_pixel_dim=256,
)

SIZES: dict[str, dict[str, Any]] = {
    "tiny": dict(
        hidden_size=128,
        intermediate_size=512,
        num_hidden_layers=4,
        num_attention_heads=4,
        num_key_value_heads=2,
        image_size=128,
        mask_dim=64,
        upsample_width=64,
        expert_patch_dim=32,
        expert_pixel_dim=32,
    ),
    "0.5b": dict(
        hidden_size=896,
        intermediate_size=4864,
        num_hidden_layers=24,
        num_attention_heads=14,
        **_QWEN25_SHARED,
    ),
    "3b": dict(
        hidden_size=2048,
        intermediate_size=11008,
        num_hidden_layers=36,
        num_attention_heads=16,
        **_QWEN25_SHARED,
    ),
}

ABLATIONS: dict[str, dict[str, bool]] = {
    "plain": dict(upsampler=False, prompt_injection=False, distillation=False),
    "upsample": dict(upsampler=True, prompt_injection=False, distillation=False),
    "inject": dict(upsampler=True, prompt_injection=True, distillation=False),
    "full": dict(upsampler=True, prompt_injection=True, distillation=True),
}


def make_config(size: str = "tiny", ablation: str = "inject", **overrides: Any) -> PixelSAILConfig:
    """The config of a named size with an ablation's switches and any field overridden."""
    if size not in SIZES:
        raise PerBenchError(f"unknown model size {size!r}", hint=f"choose from {sorted(SIZES)}")
    if ablation not in ABLATIONS:
        raise PerBenchError(f"unknown ablation {ablation!r}", hint=f"choose from {list(ABLATIONS)}")
    values = {"size": size, **SIZES[size], **ABLATIONS[ablation], **overrides}
    return PixelSAILConfig.from_dict(values).check()


@dataclass
class TrainConfig:
    """The optimisation recipe; defaults are the paper's (AdamW, cosine, warmup 5%, clip 1).
    decay_everything: weight decay on every parameter (the authors' AdamW); off = matrices only.
    workers: DataLoader worker processes (images and precomputed teacher features load there)."""

    steps: int = 1000
    batch_size: int = 8
    lr: float = 4e-5
    weight_decay: float = 0.05
    decay_everything: bool = True
    warmup_ratio: float = 0.05
    grad_clip: float = 1.0
    bf16: bool = True
    fsdp: bool = False
    grad_accum: int = 1
    workers: int = 2
    compile: bool = False
    seed: int = 0
    save_every: int = 500
    log_every: int = 10
