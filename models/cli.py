"""``perbench model``: train the reference Pixel-SAIL model, or run it on a release.

  perbench model train --out RUN [--size tiny|0.5b|3b] [--release R] [--synthetic N] ...
  perbench model predict --release R --checkpoint C --out P.jsonl [--batch-size 8]
  perbench model convert AUTHORS_FOLDER OUT   the authors' released layout -> a checkpoint

``--checkpoint`` takes a ``step-*`` folder or a run folder (its newest checkpoint). predict also
writes ``P.recipe.json`` (how the checkpoint was trained) for the leaderboard row.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from models.checkpoint import CheckpointError, latest_checkpoint


def configure(parser: argparse.ArgumentParser) -> None:
    from models import train

    commands = parser.add_subparsers(dest="model_command", metavar="{train,predict,convert}")
    commands.required = True
    train.configure(commands.add_parser("train", help="train the model (see models/train.py)"))
    predict = commands.add_parser("predict", help="write predictions for every release sample")
    predict.add_argument("--release", required=True, help="release folder")
    predict.add_argument("--checkpoint", required=True, help="step-* folder or run folder")
    predict.add_argument("--out", required=True, help="predictions file (JSON Lines)")
    predict.add_argument("--batch-size", type=int, default=8)
    predict.add_argument("--max-new-tokens", type=int, default=64)
    predict.add_argument("--device", default=None, help="cpu or cuda (default: cuda if present)")
    predict.add_argument("--quiet", action="store_true", help="no progress bar")
    convert = commands.add_parser("convert", help="authors' checkpoint -> ours (models/convert.py)")
    convert.add_argument("folder", help="their folder: config.json, tokenizer, *.safetensors")
    convert.add_argument("out", help="checkpoint folder to write")


def resolve_checkpoint(path: str | Path) -> Path:
    """A checkpoint folder, or the newest ``step-*`` checkpoint of a run folder."""
    path = Path(path)
    if (path / "model.safetensors").is_file():
        return path
    latest = latest_checkpoint(path) if path.is_dir() else None
    if latest is None:
        raise CheckpointError(
            "no checkpoint here", where=str(path), hint="pass a run folder or one of its step-*"
        )
    return latest


def run(args: argparse.Namespace) -> int:
    if args.model_command == "train":
        from models.train import run_from_args

        print(f"final checkpoint: {run_from_args(args)}")
        return 0
    if args.model_command == "convert":
        from models.convert import main
        from perbench.outputs import output_folder

        output_folder(args.out, flag="OUT")
        return main([args.folder, args.out])
    from perbench.outputs import output_file
    from perbench.verified import open_verified

    output_file(args.out)
    output_file(Path(args.out).with_suffix(".recipe.json"))
    release = open_verified(args.release)
    import torch

    from models.checkpoint import read_recipe
    from models.predict import PixelSAILPredictor, predict_release

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    checkpoint = resolve_checkpoint(args.checkpoint)
    predictor = PixelSAILPredictor.from_checkpoint(
        checkpoint, device=device, max_new_tokens=args.max_new_tokens, bf16=True
    )
    out = predict_release(release, predictor, args.out, args.batch_size, not args.quiet)
    recipe = {**read_recipe(checkpoint), "checkpoint": str(checkpoint)}
    recipe_path = out.with_suffix(".recipe.json")
    recipe_path.write_text(json.dumps(recipe, indent=2, sort_keys=True) + "\n")
    print(f"wrote {release.count()} predictions to {out} (recipe: {recipe_path})")
    print(
        f"score it: perbench evaluate --release {args.release} --predictions {out} "
        f'--model "{recipe.get("model", "Pixel-SAIL")}" --revision {checkpoint.name} '
        f"--recipe {recipe_path}"
    )
    return 0
