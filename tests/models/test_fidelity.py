"""Fidelity to the authors' code (bytedance/Sa2VA sa2va_eval/projects/ST): the <vpatch>
embedding on every patch, the bias-free prompt projection, overlapping prompts going to the
smaller mask, shuffled prompt indices with "not in the image" negatives, x0 losses that keep
every head in the graph, and activation checkpointing that changes nothing but memory."""

from __future__ import annotations

import numpy as np
import torch

from models.batching import Draw, Encoder, ExampleDataset, prompt_owners
from models.data import examples_from_samples
from models.model import PixelSAIL


def test_vpatch_is_added_to_every_patch_and_an_untouched_patch_gets_no_prompt(codec, make_micro):
    model = PixelSAIL(make_micro(), codec)
    assert model.prompt_projection.bias is None
    pixels = torch.zeros(1, 3, 32, 32)
    touched = torch.zeros(1, 15, 4, dtype=torch.bool)
    touched[0, 2, 1] = True
    embeds = model.image_embeddings(pixels, touched)[0]
    assert torch.allclose(embeds[0], model.vpatch) and torch.allclose(embeds[3], model.vpatch)
    prompt = model.prompt_projection(model.embed_tokens(model.prompt_ids[2]))
    assert torch.allclose(embeds[1], model.vpatch + prompt, atol=1e-6)
    without = PixelSAIL(make_micro(vpatch_embedding=False), codec)
    assert not hasattr(without, "vpatch")
    assert torch.equal(without.image_embeddings(pixels, touched * False)[0], torch.zeros(4, 32))


def test_a_patch_two_prompts_touch_goes_to_the_smaller_mask():
    big = np.zeros((8, 8), dtype=np.uint8)
    big[:, :6] = 1
    small = np.zeros((8, 8), dtype=np.uint8)
    small[:2, :2] = 1
    owners = prompt_owners([small, big], (2, 2), "smaller")
    assert owners.tolist() == [[True, False, False, False], [False, True, True, True]]
    summed = prompt_owners([small, big], (2, 2), "sum")
    assert summed.tolist() == [[True, False, False, False], [True, True, True, True]]


def test_training_shuffles_prompt_indices_and_adds_not_in_image_negatives(
    samples, codec, make_micro
):
    config = make_micro(not_in_image_rate=0.3)
    encoder = Encoder(config, codec)
    example = next(e for e in examples_from_samples(samples) if e.task == "vt_res")
    plain = encoder(example)
    assert plain.prompt_patches.shape[0] == len(example.prompts)
    dataset = ExampleDataset([example], encoder, seed=3)
    indices, negatives = set(), 0
    for step in range(40):
        item = dataset[Draw(0, step)]
        assert torch.equal(dataset[Draw(0, step)].prompt_patches, item.prompt_patches)
        rows = item.prompt_patches.any(1).nonzero()[:, 0].tolist()
        assert len(rows) == 1 and torch.equal(item.prompt_patches[rows[0]], plain.prompt_patches[0])
        text = codec.tokenizer.decode(item.input_ids)
        if "is not in the image" in text:
            negatives += 1
            assert item.targets is None and f"<Prompt{rows[0]}>" not in text
            continue
        assert f"<Prompt{rows[0]}>" in text and item.targets is not None
        indices.add(rows[0])
    assert len(indices) > 5 and 4 <= negatives <= 25


def test_a_batch_without_seg_still_gives_every_parameter_a_gradient(
    samples, codec, make_micro, make_batch
):
    for ablation in ("plain", "inject"):
        config = make_micro(ablation)
        model = PixelSAIL(config, codec)
        no_seg = [s for s in samples if s.task != "vt_res"][:2]
        batch = make_batch(config, codec, no_seg)
        assert batch["n_seg"] == 0
        model(batch)["loss"].backward()
        missing = [n for n, p in model.named_parameters() if p.grad is None]
        assert not missing, (ablation, missing)


def test_activation_checkpointing_gives_the_same_loss_and_gradients(
    samples, codec, make_micro, make_batch
):
    results = []
    for checkpointing in (False, True):
        torch.manual_seed(0)
        model = PixelSAIL(make_micro(activation_checkpointing=checkpointing), codec)
        batch = make_batch(model.config, codec, samples[:4])
        losses = model(batch, None, torch.Generator().manual_seed(0))
        losses["loss"].backward()
        grads = [model.patch_embedding.linear.weight.grad, model.mask_features.post[0].weight.grad]
        results.append((losses["loss"].detach(), grads))
    assert torch.allclose(results[0][0], results[1][0])
    for a, b in zip(results[0][1], results[1][1], strict=True):
        assert torch.allclose(a, b, atol=1e-6)
