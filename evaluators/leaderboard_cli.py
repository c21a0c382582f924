"""``perbench leaderboard RESULTS... --out DIR``: markdown, CSV, HTML + charts from results.

RESULTS are ``.results.json`` files or folders holding them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from evaluators.leaderboard import build_leaderboard
from evaluators.results import RESULTS_SUFFIX
from perbench.errors import PerBenchError
from perbench.outputs import output_folder


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", nargs="+", help=".results.json files or folders of them")
    parser.add_argument("--out", default="leaderboard", help="output folder")
    parser.add_argument(
        "--no-reported", action="store_true", help="leave out the paper's reported rows"
    )
    parser.add_argument(
        "--release",
        action="append",
        default=[],
        metavar="RELEASE",
        help="a release scored in RESULTS (verified): its manifest gives its rows' audit marks",
    )
    parser.add_argument(
        "--eval-results",
        metavar="HUB_DATASET_ID",
        help="also write one Hugging Face .eval_results YAML per row into OUT/eval_results/",
    )


def collect(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(path.glob(f"*{RESULTS_SUFFIX}"))
        elif path.is_file():
            found.append(path)
        else:
            raise PerBenchError("no such results file or folder", where=str(path))
    if not found:
        raise PerBenchError(f"no *{RESULTS_SUFFIX} files in {', '.join(paths)}")
    return found


def run(args: argparse.Namespace) -> int:
    output_folder(args.out)
    paths = collect(args.results)
    written = build_leaderboard(
        paths, args.out, reported=not args.no_reported, releases=args.release
    )
    print(written["markdown"].read_text(encoding="utf-8"))
    print(
        f"written: {written['markdown']}, {written['csv']}, {written['html']}, "
        f"{len(written['charts'])} charts"
    )
    if args.eval_results:
        from evaluators.hub_results import write_eval_results

        files = write_eval_results(paths, Path(args.out) / "eval_results", args.eval_results)
        print(f"{len(files)} .eval_results files in {Path(args.out) / 'eval_results'}")
    return 0
