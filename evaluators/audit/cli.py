"""``perbench audit STORE_OR_RELEASE [--out DIR]``: how far a store or release can be trusted.

Writes DIR/validity.json and DIR/validity.md (+ PNG plots) and prints a short summary with
each release gate's verdict. Exit status 0: the audit measures; ``perbench release create``
is where a failed gate refuses (it gets ``release_gate`` from this module through the CLI).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from evaluators.audit.reasons import REJECT_FLAG
from evaluators.audit.report import write_report
from evaluators.audit.run import AuditOptions, audit_path, release_gate
from evaluators.audit.summary import summary_lines

__all__ = ["configure", "run", "release_gate"]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="candidate store (.sqlite) or release folder")
    parser.add_argument("--out", type=Path, help="output folder (default audit-<name>)")
    parser.add_argument(
        "--meteor",
        choices=("nltk", "java", "none"),
        default="nltk",
        help="scorer of the look-free description (java: METEOR 1.5, slower to start)",
    )
    parser.add_argument(
        "--allow-unreviewed", action="store_true", help="do not gate on unreviewed samples"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--flag-reject-rate",
        type=float,
        default=REJECT_FLAG,
        metavar="RATE",
        help=f"name builder families whose reject rate is above RATE (default {REJECT_FLAG})",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def run(args: argparse.Namespace) -> int:
    options = AuditOptions(
        allow_unreviewed=args.allow_unreviewed,
        meteor=args.meteor,
        seed=args.seed,
        progress=not args.no_progress,
        reject_flag=args.flag_reject_rate,
    )
    report = audit_path(args.path, options)
    out = args.out or Path(f"audit-{args.path.stem}")
    written = write_report(report, out)
    print("\n".join(summary_lines(report)))
    print(f"validity.json: {written['json']}")
    print(f"validity.md: {written['markdown']}")
    return 0
