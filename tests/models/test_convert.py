"""The converter from the authors' checkpoint layout: a tiny checkpoint written with their key
names (single_transformer.model.vis_embed, vp_embed, embed_tokens with a <vpatch> row, the
upsample_blocks / projector heads) becomes a model whose weights and image embeddings are
theirs."""

from __future__ import annotations

import json

import pytest
import torch

from models.checkpoint import CheckpointError, load_checkpoint
from models.convert import convert_authors_checkpoint

HIDDEN, INNER, LAYERS, HEADS, KV, WIDTH, MASK, PATCH = 32, 64, 2, 4, 2, 16, 8, 16
THEIR_TOKENS = ["<vpatch>", "[SEG]", "<NO_Prompt>"] + [f"<Prompt{i}>" for i in range(15)]


def write_authors_folder(folder, codec) -> dict[str, torch.Tensor]:
    """config.json, tokenizer files and model.safetensors, named as the authors' code names them."""
    from safetensors.torch import save_file
    from transformers import PreTrainedTokenizerFast

    base = PreTrainedTokenizerFast(tokenizer_object=codec.tokenizer.backend_tokenizer)
    base.add_tokens(["<vision>", *THEIR_TOKENS], special_tokens=True)
    base.save_pretrained(str(folder))
    vocab = len(base)
    config = dict(
        hidden_size=HIDDEN,
        intermediate_size=INNER,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        num_key_value_heads=KV,
        vocab_size=vocab,
        tie_word_embeddings=True,
        vision_patch_size=PATCH,
        rope_theta=1000000.0,
    )
    (folder / "config.json").write_text(json.dumps(config))
    kv = HIDDEN // HEADS * KV
    shapes = {
        "model.embed_tokens.weight": (vocab, HIDDEN),
        "model.norm.weight": (HIDDEN,),
        "model.vis_embed.weight": (HIDDEN, 3 * PATCH * PATCH),
        "model.vp_embed.weight": (HIDDEN, HIDDEN),
    }
    for layer in range(LAYERS):
        prefix = f"model.layers.{layer}."
        shapes |= {
            prefix + "self_attn.q_proj.weight": (HIDDEN, HIDDEN),
            prefix + "self_attn.q_proj.bias": (HIDDEN,),
            prefix + "self_attn.k_proj.weight": (kv, HIDDEN),
            prefix + "self_attn.k_proj.bias": (kv,),
            prefix + "self_attn.v_proj.weight": (kv, HIDDEN),
            prefix + "self_attn.v_proj.bias": (kv,),
            prefix + "self_attn.o_proj.weight": (HIDDEN, HIDDEN),
            prefix + "mlp.gate_proj.weight": (INNER, HIDDEN),
            prefix + "mlp.up_proj.weight": (INNER, HIDDEN),
            prefix + "mlp.down_proj.weight": (HIDDEN, INNER),
            prefix + "input_layernorm.weight": (HIDDEN,),
            prefix + "post_attention_layernorm.weight": (HIDDEN,),
        }
    weights = {"single_transformer." + k: torch.randn(v) for k, v in shapes.items()}
    heads = {
        "image_feature_pre_projector.0": (HIDDEN, HIDDEN),
        "image_feature_pre_projector.2": (WIDTH, HIDDEN),
        "seg_token_projector.0": (WIDTH, HIDDEN),
        "seg_token_projector.2": (MASK, WIDTH),
        "image_feature_projector.0": (WIDTH, WIDTH),
        "image_feature_projector.2": (MASK, WIDTH),
    }
    for name, shape in heads.items():
        weights[name + ".weight"] = torch.randn(shape)
        weights[name + ".bias"] = torch.randn(shape[0])
    for block in range(3):
        prefix = f"upsample_blocks.{block}."
        weights[prefix + "0.weight"] = torch.randn(WIDTH, WIDTH, 2, 2)
        weights[prefix + "0.bias"] = torch.randn(WIDTH)
        weights[prefix + "2.depthwise.weight"] = torch.randn(WIDTH, 1, 3, 3)
        weights[prefix + "2.depthwise.bias"] = torch.randn(WIDTH)
        weights[prefix + "2.pointwise.weight"] = torch.randn(WIDTH, WIDTH, 1, 1)
        weights[prefix + "2.pointwise.bias"] = torch.randn(WIDTH)
        weights[prefix + "3.ln.weight"] = torch.randn(WIDTH)
        weights[prefix + "3.ln.bias"] = torch.randn(WIDTH)
    weights["sam2_distill_linear.weight"] = torch.randn(4, HIDDEN)
    save_file(weights, str(folder / "model.safetensors"))
    return weights


def test_authors_checkpoint_converts_into_a_model_with_their_weights(tmp_path, codec):
    folder = tmp_path / "authors"
    folder.mkdir()
    theirs = write_authors_folder(folder, codec)
    report = convert_authors_checkpoint(folder, tmp_path / "converted")
    assert report.ignored == ["sam2_distill_linear.weight"] and not report.left_random
    model, converted_codec = load_checkpoint(tmp_path / "converted")
    assert model.config.mask_dim == MASK and model.config.mask_width == WIDTH
    assert model.prompt_projection.bias is None and model.patch_embedding.linear.bias is None
    embed = theirs["single_transformer.model.embed_tokens.weight"]
    vocab = json.loads((folder / "tokenizer.json").read_text())["added_tokens"]
    their_id = {token["content"]: token["id"] for token in vocab}
    assert torch.equal(model.vpatch, embed[their_id["<vpatch>"]])
    ours = model.lm.get_input_embeddings().weight
    assert torch.equal(ours[converted_codec.seg_id], embed[their_id["[SEG]"]])
    assert torch.equal(ours[converted_codec.prompt_ids[3]], embed[their_id["<Prompt3>"]])
    layer = theirs["single_transformer.model.layers.1.mlp.down_proj.weight"]
    assert torch.equal(model.lm.model.layers[1].mlp.down_proj.weight, layer)
    assert torch.equal(
        model.mask_features.blocks[2].norm.bias, theirs["upsample_blocks.2.3.ln.bias"]
    )
    assert torch.equal(model.seg_mlp[2].weight, theirs["seg_token_projector.2.weight"])

    # their image token: embed(<vpatch>) + vis_embed(patch) + vp_embed(embed(<PromptK>))
    pixels = torch.randn(1, 3, PATCH, 2 * PATCH)
    touched = torch.zeros(1, 15, 2, dtype=torch.bool)
    touched[0, 3, 1] = True
    patches = torch.nn.functional.unfold(pixels, PATCH, stride=PATCH)[0].T
    expected = (
        embed[their_id["<vpatch>"]]
        + patches @ theirs["single_transformer.model.vis_embed.weight"].T
    )
    expected[1] += theirs["single_transformer.model.vp_embed.weight"] @ embed[their_id["<Prompt3>"]]
    with torch.no_grad():
        got = model.image_embeddings(pixels, touched)[0]
    assert torch.allclose(got, expected, atol=1e-4)


def test_a_folder_without_their_layout_is_a_clear_error(tmp_path, codec):
    from safetensors.torch import save_file

    save_file({"weight": torch.zeros(2)}, str(tmp_path / "model.safetensors"))
    with pytest.raises(CheckpointError, match="embed_tokens"):
        convert_authors_checkpoint(tmp_path, tmp_path / "out")
