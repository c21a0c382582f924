"""Inference: batched greedy decoding, masks at the original size, the submission file.

API:
  generate(model, batch, max_new_tokens) -> (token ids per row, [SEG] hidden per row or None,
                                             mask features (B, C, h, w))
  PixelSAILPredictor(model, codec, device="cpu", max_new_tokens=64)
    .predict(sample) -> prediction          (the evaluators' Predictor protocol)
    .predict_batch(samples) -> list of predictions
    PixelSAILPredictor.from_checkpoint(path, device="cpu")
  predict_release(release, predictor, out_path, batch_size=8, progress=True) -> Path

Predictions (what ``perbench evaluate`` reads): JSON Lines ``{"id", "prediction"}``; a string for
``description``, the generated option letter for ``mcq``, and for ``vt_res`` the COCO RLE of
the mask at the image's original size, or null when the model produced no ``[SEG]``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from models.data import Encoder, collate, examples_from_samples
from models.layers import attention_mask, position_ids
from models.model import PixelSAIL
from models.tokenizer import TextCodec
from perbench.masks import encode
from perbench.schema import Sample


def _cache_keyword() -> str:
    """transformers 5.x names the KV cache argument ``cache``; 4.x names it ``past_key_values``."""
    import inspect

    from transformers.models.qwen2.modeling_qwen2 import Qwen2Model

    return (
        "cache"
        if "cache" in inspect.signature(Qwen2Model.forward).parameters
        else "past_key_values"
    )


@torch.no_grad()
def generate(model: PixelSAIL, batch: dict, max_new_tokens: int = 64):
    """Greedy decoding with a KV cache; records each row's first [SEG] hidden state."""
    from transformers import DynamicCache

    n_image = model.n_image
    image = model.image_embeddings(batch["pixel_values"], batch["prompt_patches"])
    text = model.text_embeddings(batch["input_ids"], image, batch["prompt_patches"])
    valid = batch["text_valid"]
    cache = {_cache_keyword(): DynamicCache(config=model.lm.config)}
    output = model.lm.model(
        inputs_embeds=torch.cat([image, text.to(image.dtype)], 1),
        attention_mask=attention_mask(n_image, valid),
        position_ids=position_ids(n_image, valid),
        **cache,
        use_cache=True,
    )
    hidden = output.last_hidden_state
    features = model.mask_features(hidden[:, :n_image])
    rows = hidden.shape[0]
    key_valid = torch.cat(
        [torch.ones(rows, n_image, dtype=torch.bool, device=valid.device), valid], 1
    )
    next_position = position_ids(n_image, valid)[:, -1:] + 1
    token = model.lm.lm_head(hidden[:, -1]).argmax(-1)
    generated: list[list[int]] = [[] for _ in range(rows)]
    seg_hidden: list[torch.Tensor | None] = [None] * rows
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
        step = model.lm.model(
            inputs_embeds=model.embed_tokens(token[:, None]).to(image.dtype),
            attention_mask=key_valid[:, None, None, :],
            position_ids=next_position,
            **cache,
            use_cache=True,
        )
        next_position = next_position + 1
        last = step.last_hidden_state[:, 0]
        for row in fed_seg.nonzero()[:, 0].tolist():
            if seg_hidden[row] is None:
                seg_hidden[row] = last[row]
        token = model.lm.lm_head(last).argmax(-1)
        if steps >= max_new_tokens:
            finished[:] = True
    return generated, seg_hidden, features


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

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu", **kwargs) -> PixelSAILPredictor:
        from models.checkpoint import load_checkpoint

        model, codec = load_checkpoint(path)
        return cls(model, codec, device=device, **kwargs)

    def predict(self, sample: Sample):
        return self.predict_batch([sample])[0]

    def predict_batch(self, samples: list[Sample]) -> list:
        examples = examples_from_samples(samples, train=False)
        items = [self.encoder(example, with_answer=False) for example in examples]
        batch = collate(items, self.codec.pad_id, self.model.config.max_prompts)
        batch = {k: v.to(self.device) if torch.is_tensor(v) else v for k, v in batch.items()}
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.bf16):
            generated, seg_hidden, features = generate(self.model, batch, self.max_new_tokens)
            predictions = []
            for row, sample in enumerate(samples):
                if sample.task == "vt_res":
                    predictions.append(self._mask(seg_hidden[row], features[row], sample))
                else:
                    predictions.append(self.codec.decode(generated[row]))
        return predictions

    def _mask(self, seg_hidden, features: torch.Tensor, sample: Sample):
        """The RLE at the sample's original size (sigmoid > 0.5), or None without [SEG]."""
        if seg_hidden is None:
            return None
        logits = self.model.mask_logits(seg_hidden[None], features[None]).float()
        full = F.interpolate(
            logits[:, None],
            size=(sample.height, sample.width),
            mode="bilinear",
            align_corners=False,
        )[0, 0]
        return encode((full > 0).cpu().numpy().astype(np.uint8))


def predict_release(
    release,
    predictor: PixelSAILPredictor,
    out_path: str | Path,
    batch_size: int = 8,
    progress: bool = True,
) -> Path:
    """Predict every sample of ``release`` (a perbench.release.Release) into ``out_path``."""
    out_path = Path(out_path)
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
    return out_path


def _write(handle, samples: list[Sample], predictions: list) -> None:
    for sample, prediction in zip(samples, predictions, strict=True):
        handle.write(json.dumps({"id": sample.id, "prediction": prediction}) + "\n")
