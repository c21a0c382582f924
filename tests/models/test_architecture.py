"""The authors' architecture details: mask-free attention equals the dense reference, 2D RoPE,
variable-size images in one batch, uncertainty point sampling, per-sample LM weighting,
every [SEG] trained, the prompt limit at predict time, widths and input normalisation."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from models.attention import PrefixMask, choose_mask, positions, rotary
from models.batching import Encoder, collate, frame_size, normalize_pixels
from models.config import make_config
from models.data import examples_from_samples
from models.layers import sample_points
from models.model import PixelSAIL
from models.predict import PixelSAILPredictor
from models.synthetic import synthetic_samples
from perbench.masks import decode, encode
from perbench.render import load_rgb


def _copy(model: PixelSAIL, codec, config) -> PixelSAIL:
    twin = PixelSAIL(config, codec)
    twin.load_state_dict(model.state_dict())
    return twin


def test_mask_free_prefix_attention_equals_the_dense_mask_in_forward_and_gradients(
    samples, codec, make_micro, make_batch
):
    dense_model = PixelSAIL(make_micro(attention="dense"), codec)
    prefix_model = _copy(dense_model, codec, make_micro(attention="prefix"))
    batch = make_batch(dense_model.config, codec, samples)
    assert batch["input_ids"].shape[0] > 1 and not batch["text_valid"].all()
    key_valid = torch.cat([batch["image_valid"], batch["text_valid"]], 1)
    assert isinstance(choose_mask("prefix", 16, key_valid, True, True), PrefixMask)
    results = []
    for model in (dense_model, prefix_model):
        losses = model(batch, None, torch.Generator().manual_seed(3))
        losses["loss"].backward()
        results.append((losses, dict(model.named_parameters())))
    (dense_losses, dense_params), (prefix_losses, prefix_params) = results
    valid = batch["text_valid"]
    dense_hidden = dense_model.encode(batch)[0][:, 16:][valid]
    prefix_hidden = prefix_model.encode(batch)[0][:, 16:][valid]
    assert torch.allclose(dense_hidden, prefix_hidden, atol=1e-5)
    assert torch.allclose(dense_losses["loss"], prefix_losses["loss"], atol=1e-5)
    for name, param in dense_params.items():
        assert torch.allclose(param.grad, prefix_params[name].grad, atol=1e-5), name


def test_flex_attention_block_mask_equals_the_dense_mask_forward(
    samples, codec, make_micro, make_batch
):
    pytest.importorskip("torch.nn.attention.flex_attention")
    dense_model = PixelSAIL(make_micro(attention="dense"), codec).eval()
    flex_model = _copy(dense_model, codec, make_micro(attention="flex")).eval()
    batch = make_batch(dense_model.config, codec, samples[:4], train=False)
    with torch.no_grad():
        dense = dense_model.encode(batch)[0]
        flex = flex_model.encode(batch)[0]
    keep = torch.cat([batch["image_valid"], batch["text_valid"]], 1)
    assert torch.allclose(dense[keep], flex[keep], atol=1e-5)


def test_2d_rope_positions_rows_and_columns_then_text_from_the_long_side():
    grids = torch.tensor([[2, 3], [2, 2]])
    text_valid = torch.tensor([[True, True, False], [True, True, True]])
    where = positions(grids, (2, 3), text_valid, rope_2d=True)
    assert where[0, :6].tolist() == [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]
    assert where[0, 6:8].tolist() == [[3, 3], [4, 4]]
    assert where[1, 6:].tolist() == [[2, 2], [3, 3], [4, 4]]
    raster = positions(grids, (2, 3), text_valid, rope_2d=False)
    assert raster[1, :6, 0].tolist() == [0, 1, 2, 2, 3, 4] and raster[1, 6, 0] == 4


def test_2d_rope_is_plain_rope_on_text_and_splits_height_and_width(codec, make_micro):
    model = PixelSAIL(make_micro(), codec)
    lm = model.lm.model
    steps = torch.arange(5)[None]
    text = torch.stack([steps, steps], -1)
    cos, sin = rotary(lm, text, torch.float32)
    ref_cos, ref_sin = lm.rotary_emb(torch.zeros(1, 5, 32), steps)
    assert torch.allclose(cos, ref_cos, atol=1e-6) and torch.allclose(sin, ref_sin, atol=1e-6)
    half = cos.shape[-1] // 2
    by_row, _ = rotary(lm, torch.tensor([[[1, 0]]]), torch.float32)
    by_col, _ = rotary(lm, torch.tensor([[[0, 1]]]), torch.float32)
    quarter = half // 2
    assert (by_row[0, 0, :quarter] != 1).any() and (by_row[0, 0, quarter:half] == 1).all()
    assert (by_col[0, 0, :quarter] == 1).all() and (by_col[0, 0, quarter:half] != 1).any()


def _scene(height: int, width: int, key: str):
    """A synthetic sample cut to height x width (its masks cut alike)."""
    sample = next(s for s in synthetic_samples(1, seed=3, image_size=96) if s.task == "vt_res")
    rgb = load_rgb(sample.image)[:height, :width]
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buffer, format="PNG")
    cut = [{**p, "mask": encode(decode(p["mask"])[:height, :width])} for p in sample.prompts]
    targets = [encode(decode(t)[:height, :width]) for t in sample.targets]
    return sample.copy_with(
        id=key, image=buffer.getvalue(), height=height, width=width, prompts=cut, targets=targets
    )


def test_variable_size_images_share_a_batch_and_padding_changes_nothing(codec, make_micro):
    config = make_micro(image_size=64, attention="dense")
    assert frame_size(96, 48, config) == (64, 32) and frame_size(30, 90, config) == (32, 64)
    model = PixelSAIL(config, codec).eval()
    tall, wide = _scene(96, 48, "tall"), _scene(40, 96, "wide")
    encoder = Encoder(config, codec)
    items = [encoder(e) for e in examples_from_samples([tall, wide])]
    batch = collate(items, codec.pad_id, config.max_prompts, config, codec.seg_id)
    assert batch["grids"].tolist() == [[4, 2], [2, 4]]
    assert batch["pixel_values"].shape[-2:] == (64, 64) and not batch["uniform_grid"]
    assert batch["image_valid"].sum(1).tolist() == [8, 8]
    alone = collate(items[:1], codec.pad_id, config.max_prompts, config, codec.seg_id)
    with torch.no_grad():
        together = model.encode(batch)[0]
        single = model.encode(alone)[0]
        losses = model(batch, None, torch.Generator().manual_seed(0))
    grid_index = torch.arange(16).reshape(4, 4)[:4, :2].reshape(-1)
    assert torch.allclose(together[0, grid_index], single[0, :8], atol=1e-5)
    text = batch["text_valid"][0]
    assert torch.allclose(together[0, 16:][text], single[0, 8:][alone["text_valid"][0]], atol=1e-5)
    assert torch.isfinite(losses["loss"]) and losses["mask_dice"] > 0
    predictions = PixelSAILPredictor(model, codec, max_new_tokens=2).predict_batch([tall, wide])
    assert len(predictions) == 2


def test_uncertainty_sampling_keeps_the_most_uncertain_points(make_micro):
    config = make_micro(point_sampling="uncertainty", importance_ratio=0.75, oversample_ratio=3)
    logits = torch.full((1, 32, 32), 10.0)
    logits[:, :, :8] = 0.0  # the left quarter is the uncertain part
    extent = torch.ones(1, 2)
    coords = sample_points(logits, 200, extent, config, torch.Generator().manual_seed(0))
    assert coords.shape == (1, 200, 2)
    kept, random = coords[0, :150], coords[0, 150:]
    assert (kept[:, 0] < -0.5).all()
    assert (random[:, 0] > -0.5).float().mean() > 0.5
    uniform = sample_points(
        logits, 200, extent, make_micro(point_sampling="uniform"), torch.Generator()
    )
    assert (uniform[0, :, 0] < -0.5).float().mean() < 0.5
    half = sample_points(logits, 100, torch.tensor([[0.5, 1.0]]), config, torch.Generator())
    assert (half[..., 0] <= 0).all()


def test_lm_loss_is_weighted_per_sample(samples, codec, make_micro, make_batch):
    config = make_micro(weight_mask_ce=0.0, weight_mask_dice=0.0)
    mcq = next(s for s in samples if s.task == "mcq")
    res = next(s for s in samples if s.task == "vt_res")
    batch = make_batch(config, codec, [mcq, res])
    rows = batch["lm_rows"]
    assert torch.isclose(batch["lm_weight"][rows == 0].sum(), torch.tensor(0.5))
    assert torch.isclose(batch["lm_weight"][rows == 1].sum(), torch.tensor(0.05))
    model = PixelSAIL(config, codec)
    losses = model(batch, None, torch.Generator())
    per_sample = [
        model(make_batch(config, codec, [sample]), None, torch.Generator()) for sample in (mcq, res)
    ]
    expected = (per_sample[0]["lm"] + 0.1 * per_sample[1]["lm"]) / 2
    assert torch.allclose(losses["loss"], expected, atol=1e-5)
    assert torch.allclose(losses["lm"], (per_sample[0]["lm"] + per_sample[1]["lm"]) / 2, atol=1e-5)


def test_every_seg_token_is_trained_on_its_own_target(samples, codec, make_micro, make_batch):
    res = next(s for s in samples if s.task == "vt_res")
    other = next(s for s in samples if s.task == "vt_res" and s.targets != res.targets)
    both = res.copy_with(id="two", targets=[res.targets[0], other.targets[0]])
    config = make_micro()
    batch = make_batch(config, codec, [both])
    assert batch["n_seg"] == 2
    seg_tokens = batch["input_ids"][0, batch["seg_cols"]]
    assert (seg_tokens == codec.seg_id).all()
    assert not torch.equal(batch["seg_targets"][0], batch["seg_targets"][1])
    losses = PixelSAIL(config, codec)(batch, None, torch.Generator())
    losses["loss"].backward()


def test_more_prompts_than_the_model_takes_do_not_stop_a_predict_run(samples, codec, make_micro):
    config = make_micro()
    sample = next(s for s in samples if s.task == "description")
    prompts = [{"tag": f"<region{k + 1}>", "mask": sample.prompts[0]["mask"]} for k in range(17)]
    crowded = sample.copy_with(
        id="crowded", prompts=prompts, question="Describe <region17> next to <region1>."
    )
    predictor = PixelSAILPredictor(PixelSAIL(config, codec), codec, max_new_tokens=2)
    [prediction] = predictor.predict_batch([crowded])
    assert isinstance(prediction, str) and predictor.truncated == {"crowded"}
    encoded = predictor.encoder(examples_from_samples([crowded], train=False)[0], False)
    assert codec.no_prompt_id in encoded.input_ids and codec.prompt_ids[0] in encoded.input_ids


def test_patches_without_bias_on_imagenet_pixels_and_the_authors_widths(codec, make_micro):
    model = PixelSAIL(make_micro(), codec)
    assert model.patch_embedding.linear.bias is None and not hasattr(model.patch_embedding, "rows")
    white = normalize_pixels(torch.full((3, 1, 1), 255, dtype=torch.uint8))
    expected = (1 - torch.tensor([0.485, 0.456, 0.406])) / torch.tensor([0.229, 0.224, 0.225])
    assert torch.allclose(white[:, 0, 0], expected)
    half, three = make_config("0.5b"), make_config("3b")
    assert (half.mask_width, three.mask_width, half.mask_dim) == (896, 1024, 512)
    assert half.upsample_blocks == 3 and half.image_size == 1024 and half.max_prompts == 15
    assert codec.no_prompt_id not in codec.prompt_ids and len(codec.prompt_ids) == 15
