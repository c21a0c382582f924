"""``perbench evaluate``: score a predictions file, one shard of it, or merge shards.

perbench evaluate --release R --predictions P.jsonl --model NAME [--revision REV] [--key KEY]
                  [--protocol strict|official] [--out DIR] [--allow-missing] [--shard i/n]
perbench evaluate --merge DIR/*.partial.json [--out DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from evaluators.api import evaluate, merge_partials
from evaluators.protocols import PROTOCOLS
from evaluators.results import format_table
from evaluators.scoring import parse_shard
from perbench.errors import PerBenchError
from perbench.jsonfile import read_json
from perbench.schema import TASKS


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--release", help="release folder")
    parser.add_argument("--predictions", help="predictions file (JSON Lines)")
    parser.add_argument("--model", help="model name recorded in the results")
    parser.add_argument("--revision", help="model revision (checkpoint, commit)")
    parser.add_argument(
        "--recipe", help="JSON file saying how the model was trained (kept in the results)"
    )
    parser.add_argument(
        "--key", help="answer key of a withheld release (maintainers; never publish it)"
    )
    parser.add_argument("--protocol", choices=sorted(PROTOCOLS), default="strict")
    parser.add_argument("--out", default="results", help="output folder (default: results)")
    parser.add_argument(
        "--allow-missing", action="store_true", help="score samples without a prediction as wrong"
    )
    parser.add_argument("--tasks", nargs="+", choices=TASKS, help="score only these tasks")
    parser.add_argument("--shard", help="score shard i of n (0-based, e.g. 0/4): a partial file")
    parser.add_argument(
        "--merge", nargs="+", metavar="PARTIAL", help="combine the partial files of all shards"
    )
    parser.add_argument("--json", action="store_true", help="print the results JSON")


def read_recipe_file(path: str) -> dict:
    recipe = read_json(path, "recipe file")
    if not isinstance(recipe, dict):
        raise PerBenchError("recipe file must hold a JSON object", where=path)
    return recipe


def run(args: argparse.Namespace) -> int:
    if args.merge:
        results = merge_partials(args.merge, args.out)
    else:
        missing = [f"--{n}" for n in ("release", "predictions", "model") if not getattr(args, n)]
        if missing:
            raise PerBenchError(f"perbench evaluate needs {', '.join(missing)} (or --merge)")
        shard = parse_shard(args.shard) if args.shard else None
        recipe = read_recipe_file(args.recipe) if args.recipe else None
        results = evaluate(
            args.release,
            args.predictions,
            args.model,
            revision=args.revision,
            protocol=args.protocol,
            out_dir=args.out,
            allow_missing=args.allow_missing,
            tasks=args.tasks,
            shard=shard,
            recipe=recipe,
            key=args.key,
        )
        if shard and shard[1] > 1:
            print(f"shard {shard[0]}/{shard[1]} scored; partial file in {Path(args.out)}")
            print("merge all shards with: perbench evaluate --merge <out>/*.partial.json")
            return 0
    if args.json:
        print(json.dumps(results, indent=2, sort_keys=True))
        return 0
    bench, counts = results["benchmark"], results["counts"]
    print(
        f"{bench['name']} {bench['version']} (fingerprint {bench['fingerprint'][:12]}), "
        f"protocol {results['protocol']}"
    )
    print(
        f"samples: {counts['expected']} expected, {counts['scored']} scored, "
        f"{counts['missing']} missing"
        + (f", {counts['invalid']} invalid MCQ answers" if counts["invalid"] is not None else "")
    )
    label = results["model"]["name"] + (
        f" ({results['model']['revision']})" if results["model"]["revision"] else ""
    )
    print(format_table([(label, results["headline"])]))
    if results.get("per_sample"):
        print(f"results written to {Path(args.out)} ({results['per_sample']} per sample)")
    return 0
