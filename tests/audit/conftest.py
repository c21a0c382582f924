"""Hand-built samples for the audit tests: each detector gets a set made to trip it, and a set
made to be clean. Images are small blank PNGs; masks are rectangles."""

from __future__ import annotations

import io
import random
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from perbench.masks import encode
from perbench.schema import Sample
from perbench.store import CandidateStore

SIZE = 40
COLORS = [
    "red", "blue", "green", "black", "white", "brown", "grey", "pink", "orange", "purple",
    "yellow", "beige", "navy", "olive", "teal", "maroon", "gold", "silver", "cyan", "ivory",
]  # fmt: skip


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (SIZE, SIZE), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def box(x0: int, y0: int, x1: int, y1: int) -> dict:
    mask = np.zeros((SIZE, SIZE), dtype=np.uint8)
    mask[y0:y1, x0:x1] = 1
    return encode(mask)


def base(sample_id: str, task: str, image: str, question: str, prompt: dict, **fields) -> Sample:
    return Sample(
        id=sample_id,
        task=task,
        image_id=image,
        width=SIZE,
        height=SIZE,
        question=question,
        prompts=[{"tag": "<region1>", "mask": prompt}],
        image=png(),
        source={"dataset": "hand-built", "license": "CC0"},
        **fields,
    )


def mcq(index: int, image: str, options: list[str], answer: int, family: str = "color"):
    return base(
        f"mcq-{index:04d}",
        "mcq",
        image,
        f"What colour is the object in <region1>? (item {index})",
        box(1, 1, 5, 5),
        options=options,
        answer=answer,
        meta={"family": family, "category": "chair"},
    )


def longest_answer_mcqs(count: int = 40, per_image: int = 2) -> list[Sample]:
    """The answer is always the longest option; letters are balanced."""
    samples = []
    for index in range(count):
        options = [COLORS[(index + k) % 10] for k in range(3)]
        answer = index % 4
        options.insert(answer, f"light {COLORS[10 + index % 10]} with a pattern")
        samples.append(mcq(index, f"img-{index // per_image}", options, answer))
    return samples


def clean_mcqs(count: int = 600, per_image: int = 3, seed: int = 0) -> list[Sample]:
    """Four random colour words, the answer drawn at random: no text signal."""
    rng = random.Random(seed)
    samples = []
    for index in range(count):
        options = rng.sample(COLORS, 4)
        samples.append(mcq(index, f"img-{index // per_image}", options, rng.randrange(4)))
    return samples


def instance(ident: str, category: str, mask: dict) -> dict:
    return {"id": ident, "category": category, "crowd": False, "exhaustive": True, "mask": mask}


CHAIR_LEFT = box(1, 10, 6, 20)
CHAIR_RIGHT = box(32, 10, 38, 20)
CHAIR_LEFT_LOW = box(2, 28, 7, 36)
PERSON = box(15, 8, 24, 30)


def vtres(
    sample_id: str, image: str, instances: list[dict], targets: list[dict], category="chair"
) -> Sample:
    return base(
        sample_id,
        "vt_res",
        image,
        f"Please segment the {category} to the left of <region1>.",
        PERSON,
        targets=targets,
        meta={
            "category": category,
            "relation": {"name": "left_of", "category": category},
            "image_instances": instances,
        },
    )


def clean_vtres(image: str = "v-clean") -> Sample:
    """Two chairs, the text needs the prompt to tell them apart."""
    instances = [
        instance("p", "person", PERSON),
        instance("a", "chair", CHAIR_LEFT),
        instance("b", "chair", CHAIR_RIGHT),
    ]
    return vtres(f"vt-{image}", image, instances, [CHAIR_LEFT])


def vacuous_vtres(image: str = "v-vacuous") -> Sample:
    """One chair in the image: 'the chair' alone finds it."""
    instances = [instance("p", "person", PERSON), instance("a", "chair", CHAIR_LEFT)]
    return vtres(f"vt-{image}", image, instances, [CHAIR_LEFT])


def ambiguous_vtres(image: str = "v-ambiguous") -> Sample:
    """Two chairs left of the person, only one is the target."""
    instances = [
        instance("p", "person", PERSON),
        instance("a", "chair", CHAIR_LEFT),
        instance("c", "chair", CHAIR_LEFT_LOW),
        instance("b", "chair", CHAIR_RIGHT),
    ]
    return vtres(f"vt-{image}", image, instances, [CHAIR_LEFT])


def description(sample_id: str, image: str, reference: str, prompt: dict) -> Sample:
    return base(
        sample_id,
        "description",
        image,
        "Please describe <region1> in detail.",
        prompt,
        references=[reference],
        meta={"category": "chair"},
    )


def clean_descriptions() -> list[Sample]:
    return [
        description("d-1", "d-img", "A wooden chair with a curved back near the wall.", CHAIR_LEFT),
        description("d-2", "d-img", "A person in a red coat holding a cup.", PERSON),
        description("d-3", "d-img", "A metal folding chair facing the window.", CHAIR_RIGHT),
    ]


@pytest.fixture
def store_of(tmp_path):
    """A store holding the given samples, each accepted by the given reviewer."""

    def make(samples: list[Sample], reviewer: str | None = "alice") -> CandidateStore:
        store = CandidateStore(tmp_path / f"store-{len(list(tmp_path.iterdir()))}.sqlite", True)
        store.add_candidates(samples)
        if reviewer:
            for sample in samples:
                store.record(sample.id, reviewer, "accept")
        return store

    return make


@pytest.fixture
def make() -> SimpleNamespace:
    """The sample builders above (test modules cannot import conftest under importlib mode)."""
    names = (
        "mcq longest_answer_mcqs clean_mcqs clean_vtres vacuous_vtres ambiguous_vtres "
        "description clean_descriptions vtres instance box"
    ).split()
    return SimpleNamespace(
        **{name: globals()[name] for name in names},
        CHAIR_LEFT=CHAIR_LEFT,
        CHAIR_RIGHT=CHAIR_RIGHT,
        PERSON=PERSON,
    )
