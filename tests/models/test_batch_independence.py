"""A sample's prediction does not depend on its batch neighbours: padding a small image to a
larger neighbour's frame changed the upsampler's features within about 14 px of the padded
edge (by up to 0.088), so predict runs groups of one frame size."""

from __future__ import annotations

import torch

import models.predict
from models.model import PixelSAIL
from models.predict import PixelSAILPredictor
from models.synthetic import synthetic_samples


def test_predictions_are_the_same_alone_and_beside_a_larger_image(codec, make_micro, monkeypatch):
    torch.manual_seed(0)
    model = PixelSAIL(make_micro(image_size=96), codec).eval()
    small = [s for s in synthetic_samples(1, seed=3, image_size=48) if s.task == "vt_res"][:2]
    large = synthetic_samples(1, seed=4, image_size=96)[:3]
    # greedy decoding emits one [SEG] first, so every vt_res sample gets a mask
    model.lm.lm_head.bias = torch.nn.Parameter(torch.zeros(len(codec)))
    with torch.no_grad():
        model.lm.lm_head.bias[codec.seg_id] = 1e4
    logits_of_small: list[torch.Tensor] = []
    crop = models.predict.mask_at_size

    def recording(logits, frame, padded, size):
        if size == (48, 48):  # the small image's part of the (maybe padded) frame
            rows = round(logits.shape[0] * frame[0] / padded[0])
            logits_of_small.append(logits[:rows, :rows].clone())
        return crop(logits, frame, padded, size)

    monkeypatch.setattr(models.predict, "mask_at_size", recording)
    predictor = PixelSAILPredictor(model, codec, max_new_tokens=1)
    alone = predictor.predict_batch(small)
    mixed = predictor.predict_batch([large[0], small[0], large[1], small[1], large[2]])
    assert mixed[1] == alone[0] and mixed[3] == alone[1]
    assert all(isinstance(p, dict) for p in alone) and len(logits_of_small) == 4
    for first, second in zip(logits_of_small[:2], logits_of_small[2:], strict=True):
        assert torch.allclose(first, second, atol=1e-5), (first - second).abs().max()
