"""The model part of ``perbench demo``: train the tiny model briefly on CPU and predict a release.

API:
  TINY_RECIPE                  the demo's training settings
  train_and_predict(release_path, out_dir, steps=TINY_RECIPE["steps"], progress=True)
      -> {"checkpoint": Path, "predictions": Path, "recipe": dict}

The tiny model (a few M parameters) trains from scratch on the release's own samples plus the
SYNTHETIC shapes set, with a higher learning rate than the paper's fine-tuning recipe (a random
init needs it). About two minutes on two CPU cores; its scores show that the pipeline runs
end to end, not what Pixel-SAIL reaches.
"""

from __future__ import annotations

from pathlib import Path

import torch

from models.checkpoint import read_recipe
from models.config import TrainConfig, make_config
from models.data import examples_from_release, load_examples
from models.predict import PixelSAILPredictor, predict_release
from models.train import train
from perbench.release import Release

TINY_RECIPE = {"steps": 200, "batch_size": 16, "lr": 1e-3, "synthetic_scenes": 16, "seed": 0}


def train_and_predict(
    release_path: str | Path,
    out_dir: str | Path,
    steps: int = TINY_RECIPE["steps"],
    progress: bool = True,
) -> dict:
    out_dir = Path(out_dir)
    release = Release(release_path)
    config = make_config("tiny")
    examples = examples_from_release(release_path)
    examples += load_examples(
        synthetic_scenes=TINY_RECIPE["synthetic_scenes"],
        seed=TINY_RECIPE["seed"],
        image_size=config.image_size,
    )
    train_config = TrainConfig(
        steps=steps,
        batch_size=TINY_RECIPE["batch_size"],
        lr=TINY_RECIPE["lr"],
        seed=TINY_RECIPE["seed"],
        save_every=steps,
        log_every=max(1, steps // 20),
    )
    data = {"releases": [str(release_path)], "synthetic_scenes": TINY_RECIPE["synthetic_scenes"]}
    with torch.random.fork_rng():
        checkpoint = train(
            examples,
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
