"""The training batch stream: each rank's length-grouped, source-weighted batches of examples.

API:
  example_weights(examples, weights) -> list[float] | None   per-example sampling weights: a
                     source's weight shared by its examples (None: every example alike)
  training_batches(examples, encoder, train_config, rank, world, start, end,
                   source_weights=None, pin_memory=False, expert=None) -> Iterator[batch dict]
                     the CPU batches (see models.batching.collate) of this rank's micro-steps
                     ``start * grad_accum`` up to ``end * grad_accum``, decoded in
                     ``train_config.workers`` DataLoader workers; a resumed run (same seed)
                     sees exactly the batches it would have seen; a PrecomputedExpert's
                     features come with each batch (``expert_features``), read in the workers
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial

from models.batching import (
    Encoder,
    ExampleDataset,
    StepBatchSampler,
    collate,
    make_loader,
    worker_errors_in_one_line,
)
from models.config import TrainConfig
from models.data import Example
from models.expert import PrecomputedExpert


def _sort_key(example: Example, encoder: Encoder) -> tuple[int, int]:
    """The resized image's size: length-grouped batches share an image grid (no padded image
    tokens, and the mask-free attention path). Text length is left out: it would sort the
    tasks apart (short V-T RES texts, long MCQ prompts) into single-task batches."""
    return encoder.frame(example)


def _with_features(items: list, gather, expert: PrecomputedExpert) -> dict:
    """collate, plus the batch's precomputed teacher features (read in the loader worker)."""
    batch = gather(items)
    batch["expert_features"] = expert.load(batch["image_ids"])
    return batch


def example_weights(
    examples: Sequence[Example], weights: dict[str, float] | None
) -> list[float] | None:
    """Per-example sampling weights: a source's weight shared by its examples."""
    if not weights:
        return None
    counts: dict[str, int] = {}
    for example in examples:
        counts[example.source] = counts.get(example.source, 0) + 1
    return [weights.get(e.source, 1.0) / counts[e.source] for e in examples]


def training_batches(
    examples: Sequence[Example],
    encoder: Encoder,
    train_config: TrainConfig,
    rank: int,
    world: int,
    start: int,
    end: int,
    source_weights: dict[str, float] | None = None,
    pin_memory: bool = False,
    expert=None,
) -> Iterator[dict]:
    """This rank's CPU batches for optimizer steps ``start`` up to ``end`` (``grad_accum`` each)."""
    accum = train_config.grad_accum
    sampler = StepBatchSampler(
        [_sort_key(e, encoder) for e in examples],
        train_config.batch_size,
        rank,
        world,
        train_config.seed,
        example_weights(examples, source_weights),
        start=start * accum,
        count=(end - start) * accum,
    )
    gather = partial(
        collate,
        pad_id=encoder.codec.pad_id,
        max_prompts=encoder.config.max_prompts,
        config=encoder.config,
        seg_id=encoder.codec.seg_id,
    )
    if isinstance(expert, PrecomputedExpert):
        gather = partial(_with_features, gather=gather, expert=expert)
    dataset = ExampleDataset(examples, encoder, train_config.seed)
    loader = make_loader(dataset, sampler, gather, train_config.workers, pin_memory)
    return worker_errors_in_one_line(iter(loader))
