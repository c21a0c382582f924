"""Training on the sources the builders read (COCO, RefCOCO fixtures in the upstream formats),
the resumable distributed length-grouped sampler, mixing weights, gradient accumulation."""

from __future__ import annotations

import json
from collections import Counter

import torch

from models.batching import StepBatchSampler
from models.checkpoint import latest_checkpoint, load_checkpoint
from models.data import examples_from_sources
from models.train import split_weight
from perbench.cli import main
from perbench.sources import open_source


def _train(tmp_path, *extra: str) -> int:
    return main(
        ["model", "train", "--out", str(tmp_path / "run"), "--steps", "2", "--batch-size", "2"]
        + ["--image-size", "64", "--quiet", "--vocab-size", "300", "--log-every", "1", *extra]
    )


def test_coco_source_trains_segmentation_captioning_and_mcq_end_to_end(tmp_path, coco_dir):
    spec = f"coco:{coco_dir / 'instances.json'}:{coco_dir / 'images'}"
    examples = examples_from_sources(open_source(spec), source=spec)
    tasks = Counter(e.task for e in examples)
    assert tasks["vt_res"] == 3 and tasks["description"] == 3 and tasks["mcq"] == 3
    mcq = next(e for e in examples if e.task == "mcq")
    assert "What is <Prompt0>?" in mcq.text and mcq.answer in "ABC"
    person = next(e for e in examples if e.text == "Please segment: person.")
    assert person.targets and person.image_bytes()[:2] == b"\xff\xd8"
    assert _train(tmp_path, "--source", spec, "--grad-accum", "2") == 0
    final = latest_checkpoint(tmp_path / "run")
    recipe = json.loads((final / "recipe.json").read_text())
    assert recipe["data"]["sources"] == [spec] and recipe["train"]["global_batch_size"] == 4
    log = (tmp_path / "run" / "loss_log.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in log] == [1, 2]
    model, _ = load_checkpoint(final)
    assert model.config.max_prompts == 15


def test_refcoco_source_trains_on_its_expressions(tmp_path, refcoco_dir):
    folder = refcoco_dir / "refcoco"
    spec = f"refcoco:{folder / 'refs(unc).p'}:{folder / 'instances.json'}:{refcoco_dir / 'images'}"
    texts = {e.text for e in examples_from_sources(open_source(spec)) if e.task == "vt_res"}
    assert {"Please segment: man on the left.", "Please segment: small cup."} <= texts
    assert _train(tmp_path, "--source", spec + "@2") == 0
    recipe = json.loads((latest_checkpoint(tmp_path / "run") / "recipe.json").read_text())
    assert recipe["data"]["weights"] == {spec: 2.0}


def test_source_weights_parse_and_set_each_sources_share():
    assert split_weight("coco:a.json:img@2.5") == ("coco:a.json:img", 2.5)
    assert split_weight("coco:a@b.json:img") == ("coco:a@b.json:img", None)
    lengths = [(0,)] * 40
    weights = [1.0 / 10] * 10 + [1.0 / 30] * 30  # sources of 10 and 30 examples, equal shares
    sampler = StepBatchSampler(lengths, 8, weights=weights, count=100)
    drawn = Counter(i < 10 for batch in sampler for i in batch)
    assert 0.4 < drawn[True] / 800 < 0.6


def test_sampler_is_resumable_shards_ranks_and_groups_lengths():
    lengths = [(i % 5, i) for i in range(37)]
    ranks = [StepBatchSampler(lengths, 4, rank=r, world=2, seed=1, count=20) for r in range(2)]
    batches = [list(sampler) for sampler in ranks]
    for step in range(20):
        assert not set(batches[0][step]) & set(batches[1][step])
    resumed = list(StepBatchSampler(lengths, 4, rank=1, world=2, seed=1, start=7, count=13))
    assert resumed == batches[1][7:]
    seen = Counter(i for rank in batches for batch in rank[:9] for i in batch)
    assert set(seen) == set(range(37))
    spread = [max(lengths[i][0] for i in b) - min(lengths[i][0] for i in b) for b in batches[0]]
    assert sum(spread) / len(spread) < 2.0


def test_dataloader_workers_give_the_same_batches(tmp_path, samples, codec, make_micro):
    from functools import partial

    from models.batching import Encoder, ExampleDataset, collate, make_loader
    from models.data import examples_from_samples

    config = make_micro()
    examples = examples_from_samples(samples)
    gather = partial(
        collate, pad_id=codec.pad_id, max_prompts=15, config=config, seg_id=codec.seg_id
    )
    dataset = ExampleDataset(examples, Encoder(config, codec))
    runs = []
    for workers in (0, 2):
        sampler = StepBatchSampler([(0,)] * len(examples), 4, count=3)
        runs.append(list(make_loader(dataset, sampler, gather, workers)))
    for a, b in zip(*runs, strict=True):
        assert a["ids"] == b["ids"] and torch.equal(a["pixel_values"], b["pixel_values"])
