"""From examples to device batches: encoding, collation, a resumable sampler, the DataLoader.

API:
  frame_size(height, width, config) -> (h, w)   the resized image: aspect kept, long side the
                                   multiple of the patch above it up to image_size, short side
                                   rounded up to a multiple of the patch (the authors' rule);
                                   without keep_aspect, image_size x image_size
  touched_patches(mask (H, W), grid (gh, gw)) -> (gh*gw,) bool
  normalize_pixels(uint8 (..., 3, h, w), norm) -> float ("imagenet" mean/std, or [-1, 1])
  prompt_owners(masks, grid, overlap) -> (P, gh*gw) bool   the patches of each prompt; with
                                   overlap "smaller" a patch belongs to its smallest mask only
  Encoder(config, codec)(example, with_answer=True, rng=None) -> Encoded   one example's
                                   tensors; at inference prompts past max_prompts become
                                   <NO_Prompt>; in training (``rng`` given) prompt indices are
                                   shuffled and some examples become "not in the image" ones
  collate(items, pad_id, max_prompts, config, pad_side="right") -> batch dict (see collate)
  ExampleDataset(examples, encoder, seed=0)   map-style: item i is encoded when it is asked
                                   for; a Draw key seeds its random choices by (seed, step, i)
  Draw(index, step)                an int (the example index) that knows its micro-step
  StepBatchSampler(lengths, batch_size, rank, world, seed, weights=None, start=0, count=None)
                                   this rank's batches of micro-steps start.. (resumable), as
                                   lists of Draw
  make_loader(dataset, sampler, collate_fn, workers, pin_memory) -> DataLoader
  worker_errors_in_one_line(batches) -> Iterator   the batches; a PerBenchError raised in a
                     DataLoader worker comes out with the worker's own message (torch puts the
                     worker's whole traceback into it), so the CLI prints one ``error:`` line
  to_device(batch, device) -> batch with tensors copied (non-blocking)

Abbreviations: P max prompts, N = gh*gw patches of the batch's padded grid, T text tokens,
K [SEG] tokens with a target in the batch, M supervised text tokens in the batch.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch
from PIL import Image

from models.config import PixelSAILConfig
from models.data import Example
from models.tokenizer import NO_PROMPT, TextCodec, prompt_token
from perbench.errors import PerBenchError, SchemaError
from perbench.masks import decode
from perbench.render import load_rgb

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# the authors' negative turn (OspreyVisualPrompt_Dataset): a prompt token no region carries
NOT_IN_IMAGE_QUESTION = (
    "Can you provide me with a detailed description of the region in the picture marked by {}?"
)
NOT_IN_IMAGE = "{} is not in the image."


def frame_size(height: int, width: int, config: PixelSAILConfig) -> tuple[int, int]:
    patch, limit = config.patch_size, config.image_size
    if not config.keep_aspect:
        return limit, limit
    long, short = max(height, width), min(height, width)
    new_long = min(math.ceil(long / patch) * patch, limit)
    new_short = max(math.ceil(int(new_long * short / long) / patch) * patch, patch)
    return (new_long, new_short) if height >= width else (new_short, new_long)


def touched_patches(mask: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """``(gh*gw,) bool``: patches of the resized image that any mask pixel falls in.

    mask: (H, W) at the original size; exact, so a one-pixel prompt still touches its patch.
    """
    height, width = mask.shape
    ys, xs = np.nonzero(mask)
    touched = np.zeros(grid, dtype=bool)
    touched[ys * grid[0] // height, xs * grid[1] // width] = True
    return touched.reshape(-1)


def normalize_pixels(pixels: torch.Tensor, norm: str = "imagenet") -> torch.Tensor:
    """uint8 (..., 3, h, w) -> float: ImageNet mean/std, or "symmetric" [-1, 1]."""
    if norm == "symmetric":
        return pixels.float() / 127.5 - 1.0
    mean = torch.tensor(IMAGENET_MEAN, device=pixels.device)[:, None, None]
    std = torch.tensor(IMAGENET_STD, device=pixels.device)[:, None, None]
    return (pixels.float() / 255.0 - mean) / std


def prompt_owners(masks: Sequence[np.ndarray], grid: tuple[int, int], overlap: str) -> torch.Tensor:
    """(P, gh*gw) bool: the patches each prompt mask (H, W) touches. "smaller": masks are
    painted from the largest to the smallest, so a shared patch goes to the smallest (the
    authors' rule); "sum": a patch keeps every prompt that touches it."""
    touched = np.stack([touched_patches(mask, grid) for mask in masks])
    if overlap == "sum" or len(masks) < 2:
        return torch.from_numpy(touched)
    owner = np.full(touched.shape[1], -1)
    for index in np.argsort([-int(mask.sum()) for mask in masks], kind="stable"):
        owner[touched[index]] = index
    return torch.from_numpy(owner[None, :] == np.arange(len(masks))[:, None])


@dataclass
class Encoded:
    """Tensors of one example. pixels (3, h, w) uint8; prompt_patches (P_i, gh*gw) bool;
    targets (K_i, h, w) uint8 (255 = inside, soft at resized edges) or None; labels -100
    where no loss is taken."""

    id: str
    image_id: str
    task: str
    width: int
    height: int
    pixels: torch.Tensor
    prompt_patches: torch.Tensor
    input_ids: list[int]
    labels: list[int]
    targets: torch.Tensor | None


_PROMPT_TAG = re.compile(r"<Prompt(\d+)>")


class Encoder:
    """Turns examples into tensors; nothing is cached (an image lives as long as its batch)."""

    def __init__(self, config: PixelSAILConfig, codec: TextCodec, max_text_tokens: int = 512):
        self.config = config
        self.codec = codec
        self.max_text_tokens = max_text_tokens
        self.truncated: set[str] = set()

    def frame(self, example: Example) -> tuple[int, int]:
        return frame_size(example.height, example.width, self.config)

    def pixels(self, example: Example) -> torch.Tensor:
        height, width = self.frame(example)
        rgb = Image.fromarray(load_rgb(example.image_bytes()))
        resized = np.asarray(rgb.resize((width, height), Image.BILINEAR))
        return torch.from_numpy(resized.copy()).permute(2, 0, 1)

    def _text(self, example: Example, with_answer: bool) -> str:
        limit = self.config.max_prompts
        if len(example.prompts) <= limit:
            return example.text
        if with_answer:
            raise SchemaError(
                f"has {len(example.prompts)} prompts; the model takes at most {limit}",
                where=f"sample {example.id}",
                hint="train a model with a larger max_prompts, or leave the sample out",
            )
        self.truncated.add(example.id)
        return _PROMPT_TAG.sub(
            lambda m: m.group(0) if int(m.group(1)) < limit else NO_PROMPT, example.text
        )

    def _shuffled(
        self, example: Example, owners: torch.Tensor, rng: np.random.Generator
    ) -> tuple[str, str | None, list | None, torch.Tensor]:
        """The authors' training draw: the K regions get K random prompt indices, and with
        probability not_in_image_rate the example asks about an unused one instead."""
        config = self.config
        order = rng.permutation(config.max_prompts)
        count = owners.shape[0]
        rows = torch.zeros(config.max_prompts, owners.shape[1], dtype=torch.bool)
        rows[torch.from_numpy(order[:count])] = owners
        if count < config.max_prompts and rng.random() < config.not_in_image_rate:
            unused = prompt_token(int(order[count]))
            return NOT_IN_IMAGE_QUESTION.format(unused), NOT_IN_IMAGE.format(unused), None, rows

        def rename(text: str) -> str:
            return _PROMPT_TAG.sub(lambda m: prompt_token(int(order[int(m.group(1))])), text)

        answer = rename(example.answer) if example.answer is not None else None
        return rename(example.text), answer, example.targets, rows

    def __call__(
        self, example: Example, with_answer: bool = True, rng: np.random.Generator | None = None
    ) -> Encoded:
        config, codec = self.config, self.codec
        text = self._text(example, with_answer)
        height, width = self.frame(example)
        grid = (height // config.patch_size, width // config.patch_size)
        prompts = [decode(rle) for rle in example.prompts[: config.max_prompts]]
        prompt_patches = torch.zeros(0, grid[0] * grid[1], dtype=torch.bool)
        if prompts:
            prompt_patches = prompt_owners(prompts, grid, config.prompt_overlap)
        answer, target_rles = example.answer, example.targets
        if with_answer and rng is not None and config.prompt_shuffle:
            text, answer, target_rles, prompt_patches = self._shuffled(example, prompt_patches, rng)
        input_ids = codec.encode(text)[: self.max_text_tokens] + [codec.answer_id]
        labels = [-100] * len(input_ids)
        targets = None
        if with_answer and answer is not None:
            answer_ids = codec.encode(answer) + [codec.end_id]
            room = max(self.max_text_tokens + 1 - len(input_ids), 1)
            answer_ids = answer_ids[:room]
            input_ids = input_ids + answer_ids
            labels = labels + answer_ids
            if target_rles is not None:
                targets = torch.stack(
                    [
                        torch.from_numpy(
                            np.array(
                                Image.fromarray(decode(t) * 255).resize(
                                    (width, height), Image.BILINEAR
                                )
                            )
                        )
                        for t in target_rles
                    ]
                )
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
            targets=targets,
        )


def collate(
    items: list[Encoded],
    pad_id: int,
    max_prompts: int,
    config: PixelSAILConfig,
    seg_id: int,
    pad_side: str = "right",
) -> dict:
    """Batch tensors, images padded to the batch's largest grid (bottom/right):

    pixel_values (B, 3, gh*p, gw*p) normalised, 0 in padding; grids (B, 2) long each row's
    (gh, gw); image_valid (B, N) bool; prompt_patches (B, P, N) bool; input_ids (B, T);
    text_valid (B, T) bool; labels (B, T) (-100 = no loss); lm_rows, lm_cols, lm_labels (M,)
    the supervised tokens (hidden at text position lm_cols predicts lm_labels);
    lm_weight (M,) per-token weights giving the per-sample-weighted LM loss (weight 1, or
    weight_lm_with_masks for a sample with masks, over its tokens' mean, averaged over
    samples); lm_mean (M,) the same without the mask weighting (for the log);
    seg_rows, seg_cols (K,) each supervised [SEG] token; seg_targets (K, gh*p, gw*p) float;
    seg_extent (K, 2) the image's (x, y) fraction of the padded frame; plus python values
    n_seg, uniform_grid, right_padded, ids, image_ids, tasks, sizes, frames.
    """
    batch_size, patch = len(items), config.patch_size
    grids = torch.tensor([[i.pixels.shape[1] // patch, i.pixels.shape[2] // patch] for i in items])
    grid_h, grid_w = int(grids[:, 0].max()), int(grids[:, 1].max())
    length = max(len(item.input_ids) for item in items)
    if config.length_bucket:  # pad text so image + text is a multiple of the bucket
        bucket = config.length_bucket
        length += -(grid_h * grid_w + length) % bucket
    pixels = torch.zeros((batch_size, 3, grid_h * patch, grid_w * patch))
    image_valid = torch.zeros((batch_size, grid_h, grid_w), dtype=torch.bool)
    prompts = torch.zeros((batch_size, max_prompts, grid_h, grid_w), dtype=torch.bool)
    input_ids = torch.full((batch_size, length), pad_id, dtype=torch.long)
    labels = torch.full((batch_size, length), -100, dtype=torch.long)
    text_valid = torch.zeros((batch_size, length), dtype=torch.bool)
    lm: dict[str, list] = {"rows": [], "cols": [], "labels": [], "weight": [], "mean": []}
    seg_rows, seg_cols, targets, extents = [], [], [], []
    supervised = sum(any(x != -100 for x in item.labels) for item in items)
    for row, item in enumerate(items):
        gh, gw = int(grids[row, 0]), int(grids[row, 1])
        pixels[row, :, : gh * patch, : gw * patch] = normalize_pixels(
            item.pixels, config.pixel_norm
        )
        image_valid[row, :gh, :gw] = True
        count = item.prompt_patches.shape[0]
        prompts[row, :count, :gh, :gw] = item.prompt_patches.reshape(count, gh, gw)
        start = 0 if pad_side == "right" else length - len(item.input_ids)
        input_ids[row, start : start + len(item.input_ids)] = torch.tensor(item.input_ids)
        labels[row, start : start + len(item.labels)] = torch.tensor(item.labels)
        text_valid[row, start : start + len(item.input_ids)] = True
        answer = [c for c, x in enumerate(item.labels) if x != -100]
        weight = config.weight_lm_with_masks if item.targets is not None else 1.0
        for col in answer:
            lm["rows"].append(row)
            lm["cols"].append(start + col - 1)
            lm["labels"].append(item.labels[col])
            lm["weight"].append(weight / len(answer) / supervised)
            lm["mean"].append(1.0 / len(answer) / supervised)
        if item.targets is not None:
            segs = [c for c in answer if item.input_ids[c] == seg_id]
            for col, target in zip(segs, item.targets, strict=False):
                seg_rows.append(row)
                seg_cols.append(start + col)
                padded = torch.zeros((grid_h * patch, grid_w * patch))
                padded[: gh * patch, : gw * patch] = target.float() / 255.0
                targets.append(padded)
                extents.append([gw / grid_w, gh / grid_h])
    long = partial(torch.tensor, dtype=torch.long)
    return {
        "pixel_values": pixels,
        "grids": grids,
        "image_valid": image_valid.reshape(batch_size, -1),
        "prompt_patches": prompts.reshape(batch_size, max_prompts, -1),
        "input_ids": input_ids,
        "text_valid": text_valid,
        "labels": labels,
        "lm_rows": long(lm["rows"]),
        "lm_cols": long(lm["cols"]),
        "lm_labels": long(lm["labels"]),
        "lm_weight": torch.tensor(lm["weight"], dtype=torch.float32),
        "lm_mean": torch.tensor(lm["mean"], dtype=torch.float32),
        "seg_rows": long(seg_rows),
        "seg_cols": long(seg_cols),
        "seg_targets": torch.stack(targets) if targets else torch.zeros(0, 1, 1),
        "seg_extent": torch.tensor(extents, dtype=torch.float32).reshape(-1, 2),
        "n_seg": len(seg_rows),
        "uniform_grid": bool((grids == grids[0]).all()),
        "right_padded": pad_side == "right",
        "ids": [item.id for item in items],
        "image_ids": [item.image_id for item in items],
        "tasks": [item.task for item in items],
        "sizes": [(item.height, item.width) for item in items],
        "frames": [tuple(item.pixels.shape[1:]) for item in items],
    }


class Draw(int):
    """An example index that knows the micro-step it was drawn for (an int everywhere else)."""

    step: int

    def __new__(cls, index: int, step: int) -> Draw:
        draw = super().__new__(cls, index)
        draw.step = step
        return draw

    def __getnewargs__(self) -> tuple[int, int]:
        return int(self), self.step


class ExampleDataset(torch.utils.data.Dataset):
    """Map-style: encodes example ``index`` on request (in a DataLoader worker). A Draw key
    gives the encoder a generator seeded by (seed, step, index): the same draw on resume."""

    def __init__(self, examples: Sequence[Example], encoder: Encoder, seed: int = 0):
        self.examples, self.encoder, self.seed = examples, encoder, seed

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> Encoded:
        rng = None
        if isinstance(index, Draw):
            rng = np.random.default_rng([self.seed, index.step, int(index)])
        return self.encoder(self.examples[index], rng=rng)


class StepBatchSampler(torch.utils.data.Sampler):
    """This rank's micro-batches ``start, start+1, ...`` (``count`` of them, or endless).

    The index stream is a fresh permutation per epoch (seed + epoch), or with ``weights``
    (per example) a weighted draw with replacement of the same size. Every chunk of
    ``group`` global batches is sorted by ``lengths`` (similar lengths and image grids share a
    batch) and its batches shuffled; global batch b goes to rank b % world. Batch b depends
    only on (seed, b), so a resumed run sees exactly the batches it would have seen.
    """

    def __init__(
        self,
        lengths: Sequence[tuple],
        batch_size: int,
        rank: int = 0,
        world: int = 1,
        seed: int = 0,
        weights: Sequence[float] | None = None,
        start: int = 0,
        count: int | None = None,
        group: int = 8,
    ):
        self.lengths, self.batch_size = list(lengths), batch_size
        self.rank, self.world, self.seed = rank, world, seed
        self.weights = torch.tensor(weights, dtype=torch.float64) if weights else None
        self.start, self.count, self.group = start, count, group
        self._orders: dict[int, torch.Tensor] = {}
        self._chunks: dict[int, list[list[int]]] = {}

    def _order(self, epoch: int) -> torch.Tensor:
        if epoch not in self._orders:
            generator = torch.Generator().manual_seed(self.seed + epoch)
            n = len(self.lengths)
            if self.weights is None:
                order = torch.randperm(n, generator=generator)
            else:
                order = torch.multinomial(self.weights, n, replacement=True, generator=generator)
            self._orders = {epoch: order}
        return self._orders[epoch]

    def _chunk(self, chunk: int) -> list[list[int]]:
        if chunk not in self._chunks:
            self._chunks = {chunk: self._sorted_chunk(chunk)}
        return self._chunks[chunk]

    def _sorted_chunk(self, chunk: int) -> list[list[int]]:
        size = self.batch_size * self.group
        n = len(self.lengths)
        positions = range(chunk * size, (chunk + 1) * size)
        indices = [int(self._order(p // n)[p % n]) for p in positions]
        indices.sort(key=lambda i: self.lengths[i])
        batches = [indices[i : i + self.batch_size] for i in range(0, size, self.batch_size)]
        order = torch.randperm(self.group, generator=torch.Generator().manual_seed(chunk))
        return [batches[int(i)] for i in order]

    def batch(self, micro_step: int) -> list[Draw]:
        global_batch = micro_step * self.world + self.rank
        indices = self._chunk(global_batch // self.group)[global_batch % self.group]
        return [Draw(index, micro_step) for index in indices]

    def __iter__(self):
        step = self.start
        while self.count is None or step < self.start + self.count:
            yield self.batch(step)
            step += 1

    def __len__(self) -> int:
        return self.count if self.count is not None else 2**31


def make_loader(dataset, sampler, collate_fn, workers: int = 0, pin_memory: bool = False):
    return torch.utils.data.DataLoader(
        dataset,
        batch_sampler=sampler,
        collate_fn=collate_fn,
        num_workers=workers,
        pin_memory=pin_memory,
        persistent_workers=False,
        prefetch_factor=2 if workers else None,
    )


def worker_errors_in_one_line(batches: Iterator[dict]) -> Iterator[dict]:
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except PerBenchError as exc:
            raise type(exc)(_worker_message(exc)) from None
        yield batch


def _worker_message(exc: PerBenchError) -> str:
    """The message the worker raised: the last line of torch's "Original Traceback" text."""
    text = str(exc)
    if "Original Traceback" not in text:
        return text
    last = text.rstrip().splitlines()[-1]
    for kind in type(exc).__mro__:
        last = last.removeprefix(f"{kind.__module__}.{kind.__qualname__}: ")
    return last


def to_device(batch: dict, device: str | torch.device) -> dict:
    return {
        k: v.to(device, non_blocking=True) if torch.is_tensor(v) else v for k, v in batch.items()
    }
