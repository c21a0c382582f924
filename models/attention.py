"""The decoder pass: mixed attention (image prefix bidirectional, text causal), 2D RoPE.

API:
  ATTENTION                   "perbench": the transformers attention implementation the model's
                              decoder uses (registered on import); it dispatches on the mask:
  PrefixMask(n_image)           no mask at all: image queries x image keys (bidirectional),
                                text queries x all keys (lower-right causal); two SDPA calls
                                that Flash / memory-efficient kernels take. Needs images of one
                                grid size and right-padded text.
  BlockMask (FlexAttention)     any layout; compiled on CUDA for dynamic shapes (the image
                                length is a tensor in the mask, so new lengths and batch
                                sizes reuse one compiled graph; lengths come bucketed to a
                                multiple of config.length_bucket)
  (B, 1, Lq, Lk) bool tensor    the dense reference (True = may attend)
  dense_mask(n_image, key_valid) -> (B, 1, L, L) bool
  flex_mask(n_image, key_valid)  -> BlockMask with the same pattern
  choose_mask(kind, n_image, key_valid, uniform_grid, right_padded) -> one of the three
  positions(grids, n_grid, text_valid, rope_2d) -> (B, L, 2) long (height, width) positions
  rotary(lm_model, positions, dtype)   -> (cos, sin), each (B, L, head_dim)
  run_decoder(lm_model, embeds, mask, positions, cache=None, checkpointing=False)
                              -> last hidden (B, L, D); checkpointing recomputes each layer
  use_compiled_flex(backend)  compile FlexAttention (dynamic shapes) with ``backend`` on any
                              device ("inductor" is the default on CUDA; tests use "aot_eager")
  compiled_graphs() -> int    graphs torch.compile has made in this process (recompiles + 1
                              per compiled function); printed by training and gpu_train.py

Positions (the authors' multimodal RoPE, t section empty): image token (r, c) gets (r, c);
text continues at max(gh, gw) + k on both axes, so text alone is plain 1D RoPE. The first
head_dim/4 frequencies rotate by height, the next head_dim/4 by width. Without rope_2d, image
tokens get their raster index r * gw + c on both axes (1D RoPE) and text starts at gh * gw.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch.nn.attention.bias import causal_lower_right

ATTENTION = "perbench"


@dataclass(frozen=True)
class PrefixMask:
    """Image prefix of ``n_image`` tokens, every one real; text right-padded after it."""

    n_image: int


def dense_mask(n_image: int, key_valid: torch.Tensor) -> torch.Tensor:
    """key_valid (B, L) bool -> (B, 1, L, L) bool: image tokens attend to image tokens both
    ways, text attends causally, pads are never keys (each token always sees itself)."""
    length = key_valid.shape[1]
    index = torch.arange(length, device=key_valid.device)
    allowed = (index[None, :] <= index[:, None]) | (index[None, :] < n_image)
    allowed = allowed[None] & key_valid[:, None, :]
    allowed |= torch.eye(length, dtype=torch.bool, device=key_valid.device)[None]
    return allowed[:, None]


def flex_mask(n_image: int, key_valid: torch.Tensor):
    from torch.nn.attention.flex_attention import create_block_mask

    # a Python int in the closure would be a guard of the compiled kernel: one graph per value
    image_end = torch.tensor(n_image, device=key_valid.device)

    def mask_mod(b, h, q, kv):
        return (key_valid[b, kv] & ((kv <= q) | (kv < image_end))) | (q == kv)

    batch, length = key_valid.shape
    return create_block_mask(mask_mod, batch, None, length, length, device=key_valid.device)


def choose_mask(
    kind: str, n_image: int, key_valid: torch.Tensor, uniform_grid: bool, right_padded: bool
):
    """The mask object for ``kind`` (config.attention); "prefix" falls back to the dense mask
    when the batch has padded images or left-padded text (which it cannot express)."""
    if kind == "auto":
        kind = "flex" if key_valid.is_cuda else "prefix"
    if kind == "prefix" and uniform_grid and right_padded:
        return PrefixMask(n_image)
    if kind == "flex":
        return flex_mask(n_image, key_valid)
    return dense_mask(n_image, key_valid)


_compiled_flex = None
_flex_backend: str | None = None


def use_compiled_flex(backend: str | None) -> None:
    """Compile FlexAttention with ``backend`` on every device (None: only on CUDA, inductor)."""
    global _compiled_flex, _flex_backend
    _compiled_flex, _flex_backend = None, backend


def compiled_graphs() -> int:
    from torch._dynamo.utils import counters

    return int(counters["stats"]["unique_graphs"])


def _flex(query, key, value, block_mask, scale):
    global _compiled_flex
    from torch.nn.attention.flex_attention import flex_attention

    function = flex_attention
    # inside a compiled model the outer compile traces flex itself (no nested compile)
    if (query.is_cuda or _flex_backend) and not torch.compiler.is_compiling():
        if _compiled_flex is None:
            _compiled_flex = torch.compile(
                flex_attention, dynamic=True, backend=_flex_backend or "inductor"
            )
        function = _compiled_flex
    return function(query, key, value, block_mask=block_mask, scale=scale, enable_gqa=True)


def perbench_attention(module, query, key, value, attention_mask, scaling=None, **kwargs):
    """query (B, H, Lq, Dh), key/value (B, Hkv, Lk, Dh) -> ((B, Lq, H, Dh), None)."""
    if isinstance(attention_mask, PrefixMask):
        n = attention_mask.n_image
        image = F.scaled_dot_product_attention(
            query[:, :, :n], key[:, :, :n], value[:, :, :n], scale=scaling, enable_gqa=True
        )
        text_len, key_len = query.shape[2] - n, key.shape[2]
        text = F.scaled_dot_product_attention(
            query[:, :, n:],
            key,
            value,
            attn_mask=causal_lower_right(text_len, key_len),
            scale=scaling,
            enable_gqa=True,
        )
        output = torch.cat([image, text], 2)
    elif torch.is_tensor(attention_mask) or attention_mask is None:
        output = F.scaled_dot_product_attention(
            query, key, value, attn_mask=attention_mask, scale=scaling, enable_gqa=True
        )
    else:
        output = _flex(query, key, value, attention_mask, scaling)
    return output.transpose(1, 2).contiguous(), None


def _register() -> None:
    from transformers import AttentionInterface

    AttentionInterface.register(ATTENTION, perbench_attention)


_register()


def positions(
    grids: torch.Tensor, n_grid: tuple[int, int], text_valid: torch.Tensor, rope_2d: bool
) -> torch.Tensor:
    """grids (B, 2) each row's (gh, gw); n_grid the batch's padded grid; text_valid (B, T)
    -> (B, N + T, 2) long (height, width) positions (see the module docstring)."""
    device = text_valid.device
    rows = torch.arange(n_grid[0], device=device).repeat_interleave(n_grid[1])
    cols = torch.arange(n_grid[1], device=device).repeat(n_grid[0])
    grids = grids.to(device)
    text_index = (text_valid.long().cumsum(1) - 1).clamp(min=0)
    if rope_2d:
        image = torch.stack([rows, cols], -1).expand(grids.shape[0], -1, -1)
        start = grids.max(1).values
    else:
        raster = rows[None] * grids[:, 1:2] + cols[None]
        image = torch.stack([raster, raster], -1)
        start = grids[:, 0] * grids[:, 1]
    text = (start[:, None] + text_index)[..., None].expand(-1, -1, 2)
    return torch.cat([image, text], 1)


def rotary(lm_model, positions: torch.Tensor, dtype: torch.dtype):
    """(cos, sin) (B, L, head_dim) for (height, width) ``positions`` (B, L, 2)."""
    embedding = lm_model.rotary_emb
    inv_freq = embedding.inv_freq.float()
    quarter = inv_freq.shape[0] // 2
    axis = torch.zeros_like(inv_freq, dtype=torch.long)
    axis[quarter:] = 1
    chosen = positions.float()[..., axis]
    freqs = chosen * inv_freq
    emb = torch.cat([freqs, freqs], -1)
    scale = getattr(embedding, "attention_scaling", 1.0)
    return (emb.cos() * scale).to(dtype), (emb.sin() * scale).to(dtype)


def cache_keyword() -> str:
    """transformers 5.x names the KV cache argument ``cache``; 4.x ``past_key_values``."""
    import inspect

    from transformers.models.qwen2.modeling_qwen2 import Qwen2DecoderLayer

    parameters = inspect.signature(Qwen2DecoderLayer.forward).parameters
    return "cache" if "cache" in parameters else "past_key_values"


def run_decoder(
    lm_model,
    embeds: torch.Tensor,
    mask,
    positions: torch.Tensor,
    cache=None,
    checkpointing: bool = False,
):
    """The Qwen2 decoder layers over ``embeds`` (B, L, D) with our mask and positions;
    ``checkpointing`` keeps only each layer's input and recomputes the layer in backward."""
    from torch.utils.checkpoint import checkpoint

    position_embeddings = rotary(lm_model, positions, embeds.dtype)
    extra = {cache_keyword(): cache, "use_cache": True} if cache is not None else {}
    hidden = embeds
    for layer in lm_model.layers[: lm_model.config.num_hidden_layers]:
        if checkpointing and cache is None:
            output = checkpoint(
                layer,
                hidden,
                attention_mask=mask,
                position_embeddings=position_embeddings,
                use_reentrant=False,
            )
        else:
            output = layer(
                hidden, attention_mask=mask, position_embeddings=position_embeddings, **extra
            )
        hidden = output[0] if isinstance(output, tuple) else output
    return lm_model.norm(hidden)
