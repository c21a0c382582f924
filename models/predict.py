"""Inference: batched greedy decoding, masks at the original size, the submission file.

API:
  generate(model, batch, max_new_tokens) -> (token ids per row, [SEG] hidden states per row
                                             (a list, in order), mask features (B, C, h, w))
  mask_at_size(logits (h, w), frame, padded, size) -> (H, W) uint8   crop the image's part of
                                             the padded frame, resize to the original size
  PixelSAILPredictor(model, codec, device="cpu", max_new_tokens=64)
    .predict(sample) -> prediction          (the evaluators' Predictor protocol)
    .predict_batch(samples) -> list of predictions (run in groups of one frame size: a
                                            sample's result is independent of its neighbours)
    .truncated                              ids of samples with more prompts than the model
                                            takes (their extra regions read <NO_Prompt>)
    PixelSAILPredictor.from_checkpoint(path, device="cpu")
  predict_release(release, predictor, out_path, batch_size=8, progress=True) -> Path

Predictions (what ``perbench evaluate`` reads): JSON Lines ``{"id", "prediction"}``; a string for
``description``, the generated option letter for ``mcq``, and for ``vt_res`` the COCO RLE of
the mask of each generated ``[SEG]`` at the image's original size (one RLE, or a list when the
model produced several), or null when it produced none.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from models.attention import run_decoder
from models.batching import Encoder, collate, to_device
from models.data import examples_from_samples
from models.model import PixelSAIL
from models.tokenizer import TextCodec
from perbench.masks import encode
from perbench.outputs import output_file
from perbench.schema import Sample


@torch.no_grad()
def generate(model: PixelSAIL, batch: dict, max_new_tokens: int = 64):
    """Greedy decoding with a KV cache (text left-padded); records every fed [SEG]'s hidden."""
    from transformers import DynamicCache

    cache = DynamicCache(config=model.lm.config)
    hidden, features = model.encode(batch, cache=cache)
    _, key_valid, where = model.prefill_inputs(batch)
    rows = hidden.shape[0]
    next_position = where[:, -1:] + 1
    token = model.lm.lm_head(hidden[:, -1]).argmax(-1)
    generated: list[list[int]] = [[] for _ in range(rows)]
    seg_hidden: list[list[torch.Tensor]] = [[] for _ in range(rows)]
    finished = torch.zeros(rows, dtype=torch.bool, device=token.device)
    steps = 0
    while True:
        active = ~finished
        for row in active.nonzero()[:, 0].tolist():
            generated[row].append(int(token[row]))
        fed_seg = active & (token == model.seg_id)
        finished |= active & (token == model.end_id)
        steps += 1
        if not fed_seg.any() and (finished.all() or steps >= max_new_tokens):
            break
        key_valid = torch.cat([key_valid, torch.ones_like(key_valid[:, :1])], 1)
        last = run_decoder(
            model.lm.model,
            model.embed_tokens(token[:, None]).to(hidden.dtype),
            key_valid[:, None, None, :],
            next_position,
            cache,
        )[:, 0]
        next_position = next_position + 1
        for row in fed_seg.nonzero()[:, 0].tolist():
            seg_hidden[row].append(last[row])
        token = model.lm.lm_head(last).argmax(-1)
        if steps >= max_new_tokens:
            finished[:] = True
    return generated, seg_hidden, features


def mask_at_size(
    logits: torch.Tensor, frame: tuple[int, int], padded: tuple[int, int], size: tuple[int, int]
) -> np.ndarray:
    """logits (h, w) over the padded frame ``padded`` (pixels) whose top-left ``frame`` is the
    image -> (H, W) uint8 mask (sigmoid > 0.5) at the original ``size``."""
    rows = max(1, round(logits.shape[0] * frame[0] / padded[0]))
    cols = max(1, round(logits.shape[1] * frame[1] / padded[1]))
    crop = logits[:rows, :cols].float()
    full = F.interpolate(crop[None, None], size=size, mode="bilinear", align_corners=False)[0, 0]
    return (full > 0).cpu().numpy().astype(np.uint8)


class PixelSAILPredictor:
    """Runs the model on samples; matches the evaluators' ``Predictor`` protocol."""

    def __init__(
        self,
        model: PixelSAIL,
        codec: TextCodec,
        device: str = "cpu",
        max_new_tokens: int = 64,
        bf16: bool = False,
    ):
        self.model = model.to(device).eval()
        self.codec = codec
        self.device = device
        self.max_new_tokens = max_new_tokens
        self.bf16 = bf16 and device.startswith("cuda")
        self.encoder = Encoder(model.config, codec)

    @property
    def truncated(self) -> set[str]:
        return self.encoder.truncated

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu", **kwargs) -> PixelSAILPredictor:
        from models.checkpoint import load_checkpoint

        model, codec = load_checkpoint(path)
        return cls(model, codec, device=device, **kwargs)

    def predict(self, sample: Sample):
        return self.predict_batch([sample])[0]

    def predict_batch(self, samples: list[Sample]) -> list:
        """Predictions in ``samples``' order. Samples run in groups of one image frame size, so
        no image is padded and a sample's result never depends on its batch neighbours (the
        upsampler's convolutions would see the padding)."""
        examples = examples_from_samples(samples, train=False)
        items = [self.encoder(example, with_answer=False) for example in examples]
        groups: dict[tuple[int, ...], list[int]] = {}
        for index, item in enumerate(items):
            groups.setdefault(tuple(item.pixels.shape[1:]), []).append(index)
        predictions: list = [None] * len(samples)
        for rows in groups.values():
            chosen = self._predict_items([items[i] for i in rows], [samples[i] for i in rows])
            for row, prediction in zip(rows, chosen, strict=True):
                predictions[row] = prediction
        return predictions

    @torch.no_grad()
    def _predict_items(self, items: list, samples: list[Sample]) -> list:
        config = self.model.config
        batch = collate(
            items, self.codec.pad_id, config.max_prompts, config, self.codec.seg_id, "left"
        )
        batch = to_device(batch, self.device)
        padded = tuple(batch["pixel_values"].shape[-2:])
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.bf16):
            generated, seg_hidden, features = generate(self.model, batch, self.max_new_tokens)
            predictions = []
            for row, sample in enumerate(samples):
                if sample.task != "vt_res":
                    predictions.append(self.codec.decode(generated[row]))
                    continue
                masks = [
                    encode(self._mask(h, features[row], batch["frames"][row], padded, sample))
                    for h in seg_hidden[row]
                ]
                predictions.append(None if not masks else masks[0] if len(masks) == 1 else masks)
        return predictions

    def _mask(self, seg_hidden, features, frame, padded, sample: Sample) -> np.ndarray:
        logits = self.model.mask_logits(seg_hidden[None], features[None])[0]
        return mask_at_size(logits, frame, padded, (sample.height, sample.width))


def predict_release(
    release,
    predictor: PixelSAILPredictor,
    out_path: str | Path,
    batch_size: int = 8,
    progress: bool = True,
) -> Path:
    """Predict every sample of ``release`` (a perbench.release.Release) into ``out_path``."""
    out_path = output_file(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    bar = tqdm(total=release.count(), desc="predicting", unit="sample", disable=not progress)
    with open(out_path, "w") as handle:
        for task in release.tasks:
            chunk: list[Sample] = []
            for sample in release.samples(task, with_image=True):
                chunk.append(sample)
                if len(chunk) == batch_size:
                    _write(handle, chunk, predictor.predict_batch(chunk))
                    bar.update(len(chunk))
                    chunk = []
            if chunk:
                _write(handle, chunk, predictor.predict_batch(chunk))
                bar.update(len(chunk))
    bar.close()
    if predictor.truncated:
        warnings.warn(
            f"{len(predictor.truncated)} samples have more prompts than the model takes "
            f"({predictor.model.config.max_prompts}); their extra regions were given as "
            "<NO_Prompt>, e.g. " + ", ".join(sorted(predictor.truncated)[:3]),
            stacklevel=2,
        )
    return out_path


def _write(handle, samples: list[Sample], predictions: list) -> None:
    for sample, prediction in zip(samples, predictions, strict=True):
        handle.write(json.dumps({"id": sample.id, "prediction": prediction}) + "\n")
