"""The model part of ``perbench demo``: train the tiny model briefly on CPU, on data disjoint
from the release it is then scored on, and predict that release.

API:
  TINY_RECIPE                  the demo's training settings
  train_and_predict(release_path, out_dir, steps=TINY_RECIPE["steps"], progress=True,
                    sources=()) -> {"checkpoint": Path, "predictions": Path, "recipe": dict}

The tiny model (a few M parameters) trains from scratch on the SYNTHETIC shapes set plus the
given annotated ``sources`` (the demo passes generated COCO-format scenes of its own seed), never
on the release: any training image whose pixels the release holds is dropped (counted in the
recipe as ``dropped_release_images``), so the leaderboard row reads "training images disjoint
from the release (checked)". It uses a higher learning rate than the paper's fine-tuning
recipe (a random init needs it). A few minutes on two CPU cores; too little training to beat
the blind baselines, which the row's name says: it shows that the pipeline runs end to end.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from models.checkpoint import read_recipe
from models.config import TrainConfig, make_config
from models.data import image_hashes, load_examples
from models.predict import PixelSAILPredictor, predict_release
from models.train import train
from perbench.images import release_pixel_hashes
from perbench.release import Release

TINY_RECIPE = {"steps": 200, "batch_size": 16, "lr": 1e-3, "synthetic_scenes": 16, "seed": 0}


def train_and_predict(
    release_path: str | Path,
    out_dir: str | Path,
    steps: int = TINY_RECIPE["steps"],
    progress: bool = True,
    sources: Sequence[str] = (),
) -> dict:
    out_dir = Path(out_dir)
    release = Release(release_path)
    config = make_config("tiny")
    examples = load_examples(
        synthetic_scenes=TINY_RECIPE["synthetic_scenes"],
        seed=TINY_RECIPE["seed"],
        image_size=config.image_size,
        sources=sources,
    )
    in_release = set(release_pixel_hashes(release).values())
    hashes = image_hashes(examples)
    kept = [e for e in examples if hashes[e.image_id] not in in_release]
    dropped = {e.image_id for e in examples} - {e.image_id for e in kept}
    train_config = TrainConfig(
        steps=steps,
        batch_size=TINY_RECIPE["batch_size"],
        lr=TINY_RECIPE["lr"],
        seed=TINY_RECIPE["seed"],
        save_every=steps,
        log_every=max(1, steps // 20),
        workers=0,  # the demo's few small images decode faster than worker processes start
    )
    data = {
        "sources": list(sources),
        "synthetic_scenes": TINY_RECIPE["synthetic_scenes"],
        "dropped_release_images": len(dropped),
    }
    with torch.random.fork_rng():
        checkpoint = train(
            kept,
            out_dir / "run",
            config,
            train_config,
            progress=progress,
            recipe_extra={"data": data, "tokenizer": "byte-level BPE built offline"},
        )
    predictor = PixelSAILPredictor.from_checkpoint(checkpoint)
    predictions = predict_release(
        release, predictor, out_dir / "predictions.jsonl", batch_size=16, progress=progress
    )
    recipe = read_recipe(checkpoint)
    return {"checkpoint": checkpoint, "predictions": predictions, "recipe": recipe}
