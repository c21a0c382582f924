"""SYNTHETIC learnability set: procedurally drawn shapes with exact masks, for all three tasks.

This is not benchmark data. It exists to prove that the model and its training loop learn:
every answer follows from the pixels, so a working model fits it quickly.

API:
  SYNTHETIC_DATASET                 "synthetic-shapes" (the ``source.dataset`` of every sample)
  COLOURS, SHAPES                   the palette and the shape names
  synthetic_scene(rng, image_size)  -> (rgb (S, S, 3) uint8, objects list[dict])
  synthetic_samples(n_scenes, seed=0, image_size=128) -> list[Sample]   valid PerBench samples

A scene has three objects of different colours in a left, middle and right column (with random
vertical jitter and size). Per scene: 3 ``description`` samples ("A red circle on the left of the
picture."), 3 ``mcq`` samples (its colour or its shape) and 4 ``vt_res`` samples ("the shape to
the left of <region1>", whose target is the neighbouring object's exact mask).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from perbench.masks import encode
from perbench.schema import Sample, make_sample_id, validate_sample

SYNTHETIC_DATASET = "synthetic-shapes"
COLOURS = {
    "red": (220, 40, 40),
    "green": (40, 170, 60),
    "blue": (40, 80, 220),
    "yellow": (230, 200, 30),
    "purple": (140, 60, 190),
    "orange": (240, 130, 30),
}
SHAPES = ("circle", "square", "triangle")
COLUMNS = ("left", "middle", "right")
PLACES = {
    "left": "on the left of the picture",
    "middle": "in the middle of the picture",
    "right": "on the right of the picture",
}


def _shape_mask(shape: str, cx: float, cy: float, radius: float, side: int) -> np.ndarray:
    """(side, side) bool mask of one shape centred at (cx, cy)."""
    ys, xs = np.mgrid[0:side, 0:side].astype(np.float32) + 0.5
    if shape == "circle":
        return (xs - cx) ** 2 + (ys - cy) ** 2 <= radius**2
    if shape == "square":
        return (np.abs(xs - cx) <= radius * 0.85) & (np.abs(ys - cy) <= radius * 0.85)
    top, bottom = cy - radius, cy + radius * 0.8
    half_width = (ys - top) / (bottom - top) * radius
    return (ys >= top) & (ys <= bottom) & (np.abs(xs - cx) <= half_width)


def synthetic_scene(rng: np.random.Generator, image_size: int = 128) -> tuple[np.ndarray, list]:
    """A drawn scene and its objects ``{shape, colour, column, mask (S, S) bool}``."""
    side = image_size
    rgb = np.clip(rng.normal(235, 6, size=(side, side, 3)), 0, 255).astype(np.uint8)
    colours = rng.choice(list(COLOURS), size=len(COLUMNS), replace=False)
    objects = []
    for column_index, (column, colour) in enumerate(zip(COLUMNS, colours, strict=True)):
        shape = str(rng.choice(SHAPES))
        radius = side * rng.uniform(0.09, 0.13)
        cx = side * (column_index + 0.5) / len(COLUMNS) + rng.uniform(-0.04, 0.04) * side
        cy = side * rng.uniform(0.3, 0.7)
        mask = _shape_mask(shape, cx, cy, radius, side)
        rgb[mask] = COLOURS[str(colour)]
        objects.append({"shape": shape, "colour": str(colour), "column": column, "mask": mask})
    return rgb, objects


def _png(rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()


def _sample(task: str, image_id: str, side: int, image: bytes, prompt, question: str, **fields):
    sample = Sample(
        id=make_sample_id(
            task, SYNTHETIC_DATASET, image_id, prompt["column"], question, fields.get("options")
        ),
        task=task,
        image_id=image_id,
        width=side,
        height=side,
        question=question,
        prompts=[{"tag": "<region1>", "mask": encode(prompt["mask"])}],
        image=image,
        source={"dataset": SYNTHETIC_DATASET, "license": "CC0 (procedurally generated)"},
        meta={"synthetic": True, "shape": prompt["shape"], "colour": prompt["colour"]},
        **fields,
    )
    return validate_sample(sample)


def synthetic_samples(n_scenes: int, seed: int = 0, image_size: int = 128) -> list[Sample]:
    """``10 * n_scenes`` samples (3 description, 3 mcq, 4 vt_res per scene), deterministic."""
    rng = np.random.default_rng(seed)
    samples = []
    for scene in range(n_scenes):
        rgb, objects = synthetic_scene(rng, image_size)
        image_id = f"synthetic-{seed}-{scene}"
        image = _png(rgb)
        for index, obj in enumerate(objects):
            reference = f"A {obj['colour']} {obj['shape']} {PLACES[obj['column']]}."
            samples.append(
                _sample(
                    "description",
                    image_id,
                    image_size,
                    image,
                    obj,
                    "Describe <region1> in detail.",
                    references=[reference],
                )
            )
            if index % 2 == 0:
                others = [c for c in COLOURS if c != obj["colour"]]
                options = [obj["colour"], *rng.choice(others, size=3, replace=False).tolist()]
                question = "What colour is <region1>?"
            else:
                options = [obj["shape"], *[s for s in SHAPES if s != obj["shape"]]]
                question = "What shape is <region1>?"
            order = rng.permutation(len(options))
            shuffled = [options[i] for i in order]
            samples.append(
                _sample(
                    "mcq",
                    image_id,
                    image_size,
                    image,
                    obj,
                    question,
                    options=shuffled,
                    answer=int(np.flatnonzero(order == 0)[0]),
                )
            )
            for relation, step in (("left", -1), ("right", 1)):
                if 0 <= index + step < len(objects):
                    target = objects[index + step]["mask"]
                    samples.append(
                        _sample(
                            "vt_res",
                            image_id,
                            image_size,
                            image,
                            obj,
                            f"the shape to the {relation} of <region1>",
                            targets=[encode(target)],
                        )
                    )
    return samples
