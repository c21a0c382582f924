"""``perbench export``: a release as a task for the harnesses model authors already run.

perbench export lmms-eval RELEASE OUT_DIR [--protocol strict|official]
perbench export vlmevalkit RELEASE OUT_DIR
perbench export vlmevalkit-predictions RELEASE XLSX_OR_TSV... --out PREDICTIONS.jsonl

Each verifies the release first (``--fingerprint``, ``--public-key`` when given) and writes only
where ``perbench.outputs`` allows.
"""

from __future__ import annotations

import argparse

from evaluators.protocols import PROTOCOLS
from perbench.verified import add_verify_arguments


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("harness", choices=["lmms-eval", "vlmevalkit", "vlmevalkit-predictions"])
    parser.add_argument("release", help="release folder")
    parser.add_argument("paths", nargs="+", help="output folder, or VLMEvalKit prediction files")
    parser.add_argument("--protocol", choices=sorted(PROTOCOLS), default="strict")
    parser.add_argument("--out", help="predictions JSONL to write (vlmevalkit-predictions)")
    add_verify_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from perbench.errors import PerBenchError
    from perbench.outputs import output_file, output_folder
    from perbench.verified import open_verified

    if args.harness == "vlmevalkit-predictions":
        if not args.out:
            raise PerBenchError("vlmevalkit-predictions needs --out PREDICTIONS.jsonl")
        output_file(args.out)
    else:
        output_folder(args.paths[0], "OUT_DIR")
    release = open_verified(args.release, args.fingerprint, args.public_key)
    if args.harness == "lmms-eval":
        from evaluators.export_lmms import export_lmms

        written = export_lmms(release, args.paths[0], args.protocol)
        print(f"{len(written)} files in {args.paths[0]}; run:")
        print(f"  lmms-eval --include_path {args.paths[0]} --tasks perbench --model ...")
        return 0
    if args.harness == "vlmevalkit":
        from evaluators.export_vlmevalkit import export_vlmevalkit

        written = export_vlmevalkit(release, args.paths[0])
        print("written: " + ", ".join(str(p) for p in written))
        return 0
    from evaluators.export_vlmevalkit import convert_predictions

    count = convert_predictions(release, args.paths, args.out)
    print(f"{count} predictions written to {args.out}")
    return 0
