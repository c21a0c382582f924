"""Convert a checkpoint in the authors' layout (bytedance/Sa2VA, sa2va_eval/projects/ST) into a
Pixel-SAIL checkpoint of this project, which ``perbench model predict`` and ``--resume``-free
training (``--init`` is for plain Qwen2 folders) then read.

  python -m models.convert AUTHORS_FOLDER OUT_FOLDER

API:
  AUTHORS_HEADS                  their head names -> ours (Sa2VASTModel's attributes)
  convert_authors_checkpoint(folder, out) -> ConversionReport   writes models.checkpoint's layout
  ConversionReport               .checkpoint (Path), .copied, .new_token_rows, .left_random,
                                 .ignored (key lists)

The folder holds what their code saves: ``config.json`` (the Qwen2 shapes, plus
``vision_patch_size``), the tokenizer files (with ``<vpatch>``, ``<Prompt0..N>``,
``<NO_Prompt>``, ``[SEG]``) and one or more ``*.safetensors`` files whose keys are named as in
their code: the decoder ``[single_transformer.]model.{embed_tokens,layers.*,norm,vis_embed,
vp_embed}``, ``[single_transformer.]lm_head``, and the heads ``image_feature_pre_projector``,
``upsample_blocks.B.{0 (transposed conv), 2.depthwise, 2.pointwise, 3.ln}``,
``image_feature_projector`` and ``seg_token_projector``. ``vis_embed`` becomes the bias-free
patch projection (their patches flatten channel-major, as F.unfold), ``vp_embed`` the bias-free
prompt projection, the ``<vpatch>`` embedding row the per-patch ``vpatch`` vector; token rows
are copied by token (this project's extra special tokens get the mean row). Distillation heads
and expert weights (mask2former_*, sam2_*, radio_*) are ignored and listed.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import torch

from models.checkpoint import CheckpointError
from models.config import PixelSAILConfig
from perbench.errors import DependencyError

AUTHORS_HEADS = {
    "image_feature_pre_projector.0.": "mask_features.pre.0.",
    "image_feature_pre_projector.2.": "mask_features.pre.2.",
    "image_feature_projector.0.": "mask_features.post.0.",
    "image_feature_projector.2.": "mask_features.post.2.",
    "seg_token_projector.0.": "seg_mlp.0.",
    "seg_token_projector.2.": "seg_mlp.2.",
}
_BLOCK_PARTS = {"0": "up", "2.depthwise": "depthwise", "2.pointwise": "pointwise", "3.ln": "norm"}
_BLOCK = re.compile(r"upsample_blocks\.(\d+)\.(0|2\.depthwise|2\.pointwise|3\.ln)\.(weight|bias)$")
_IGNORED = re.compile(r"(mask2former|sam2|radio)_")
VPATCH = "<vpatch>"


@dataclass
class ConversionReport:
    checkpoint: Path
    copied: list[str] = field(default_factory=list)
    new_token_rows: list[str] = field(default_factory=list)
    left_random: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def _read_weights(folder: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise CheckpointError(
            "no *.safetensors file", where=str(folder), hint="pass the authors' checkpoint folder"
        )
    weights: dict[str, torch.Tensor] = {}
    for path in files:
        weights.update(load_file(str(path)))
    return {key.removeprefix("single_transformer."): value for key, value in weights.items()}


def _their_vocabulary(folder: Path) -> dict[str, int]:
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise DependencyError(f"cannot load their tokenizer: {exc}", where=str(folder)) from None
    return tokenizer.get_vocab()


def _our_name(key: str) -> str | None:
    """Our state-dict name of one of their keys (token-indexed rows handled apart)."""
    if key.startswith("model.vis_embed."):
        return "patch_embedding.linear." + key.removeprefix("model.vis_embed.")
    if key.startswith("model.vp_embed."):
        return "prompt_projection." + key.removeprefix("model.vp_embed.")
    if key.startswith(("model.layers.", "model.norm.", "lm_head.")):
        return "lm." + key
    for theirs, ours in AUTHORS_HEADS.items():
        if key.startswith(theirs):
            return ours + key.removeprefix(theirs)
    block = _BLOCK.match(key)
    if block:
        return f"mask_features.blocks.{block[1]}.{_BLOCK_PARTS[block[2]]}.{block[3]}"
    return None


def _config(folder: Path, weights: dict[str, torch.Tensor]) -> PixelSAILConfig:
    try:
        theirs = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"cannot read config.json: {exc}", where=str(folder)) from None
    hidden = int(theirs["hidden_size"])
    blocks = {int(m[1]) for key in weights if (m := _BLOCK.match(key))}
    seg = weights.get("seg_token_projector.2.weight")
    width = weights.get("seg_token_projector.0.weight")
    size = {896: "0.5b", 2048: "3b"}.get(hidden, "converted")
    return PixelSAILConfig(
        size=size,
        hidden_size=hidden,
        intermediate_size=int(theirs["intermediate_size"]),
        num_hidden_layers=int(theirs["num_hidden_layers"]),
        num_attention_heads=int(theirs["num_attention_heads"]),
        num_key_value_heads=int(theirs.get("num_key_value_heads", theirs["num_attention_heads"])),
        max_position_embeddings=int(theirs.get("max_position_embeddings", 32768)),
        rope_theta=float(theirs.get("rope_theta", 1000000.0)),
        rms_norm_eps=float(theirs.get("rms_norm_eps", 1e-6)),
        tie_word_embeddings=bool(
            theirs.get("tie_word_embeddings", "lm_head.weight" not in weights)
        ),
        patch_size=int(theirs.get("vision_patch_size", 16)),
        image_size=1024,
        mask_dim=int(seg.shape[0]) if seg is not None else 512,
        upsample_width=int(width.shape[0]) if width is not None else None,
        upsample_blocks=len(blocks) or 3,
        activation_checkpointing=hidden >= 896,
        length_bucket=128,
    ).check()


def convert_authors_checkpoint(folder: str | Path, out: str | Path) -> ConversionReport:
    """Read the authors' folder, write our checkpoint to ``out`` (atomically)."""
    from models.checkpoint import save_checkpoint
    from models.model import PixelSAIL
    from models.tokenizer import TextCodec

    folder = Path(folder)
    weights = _read_weights(folder)
    embed = weights.get("model.embed_tokens.weight")
    if embed is None:
        raise CheckpointError(
            "no model.embed_tokens.weight: not the authors' single-transformer layout",
            where=str(folder),
        )
    config = _config(folder, weights)
    their_vocabulary = _their_vocabulary(folder)
    vpatch_id = their_vocabulary.get(VPATCH)
    if vpatch_id is None or vpatch_id >= len(embed):
        raise CheckpointError(
            f"the tokenizer has no {VPATCH} token", where=str(folder), hint="pass their folder"
        )
    codec = TextCodec.from_pretrained(folder, config.max_prompts)
    model = PixelSAIL(config, codec)
    state = model.state_dict()
    report = ConversionReport(checkpoint=Path(out))
    rows = state["lm.model.embed_tokens.weight"]
    rows[:] = embed.mean(0)
    for token, index in codec.tokenizer.get_vocab().items():
        their_index = their_vocabulary.get(token)
        if their_index is not None and their_index < len(embed):
            rows[index] = embed[their_index]
        else:
            report.new_token_rows.append(token)
    state["vpatch"] = embed[vpatch_id].clone()
    report.copied += ["model.embed_tokens.weight", f"{VPATCH} row -> vpatch"]
    for key, value in weights.items():
        if key == "model.embed_tokens.weight":
            continue
        name = _our_name(key)
        if name is None or _IGNORED.search(key):
            report.ignored.append(key)
            continue
        if name not in state or state[name].shape != value.shape:
            raise CheckpointError(
                f"{key} ({tuple(value.shape)}) does not fit {name} "
                f"({tuple(state[name].shape) if name in state else 'no such weight'})",
                where=str(folder),
            )
        state[name] = value.to(state[name].dtype)
        report.copied.append(key)
    given = {_our_name(k) for k in weights} | {"lm.model.embed_tokens.weight", "vpatch"}
    tied = {"lm.lm_head.weight"} if config.tie_word_embeddings else set()
    report.left_random = sorted(
        n for n in state if n not in given | tied | {"prompt_ids"} and not n.startswith("distill")
    )
    model.load_state_dict(state)
    save_checkpoint(model, codec, out, recipe={"model": "Pixel-SAIL (authors' weights, converted)"})
    return report


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m models.convert AUTHORS_FOLDER OUT_FOLDER", file=sys.stderr)
        return 2
    report = convert_authors_checkpoint(args[0], args[1])
    print(f"wrote {report.checkpoint}: {len(report.copied)} tensors copied")
    for label, names in (
        ("new token rows (mean embedding)", report.new_token_rows),
        ("left at random init (not in the file)", report.left_random),
        ("ignored", report.ignored),
    ):
        if names:
            print(f"{label}: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
