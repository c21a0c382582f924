"""``perbench setup-wordnet``: build NLTK's WordNet 3.0 from Debian's files, offline."""

from __future__ import annotations

import argparse
import os

from evaluators.wordnet import DEFAULT_SOURCE, default_nltk_data, setup_wordnet


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--nltk-data",
        default=None,
        help=f"NLTK data folder to write into (default: {default_nltk_data()})",
    )
    parser.add_argument(
        "--source",
        default=str(DEFAULT_SOURCE),
        help="folder of the WordNet 3.0 database files (Debian: /usr/share/wordnet)",
    )


def run(args: argparse.Namespace) -> int:
    import nltk.data

    target = setup_wordnet(args.nltk_data, args.source)
    print(f"WordNet 3.0 written to {target}")
    root = str(target.parent.parent)
    if os.path.abspath(root) not in {os.path.abspath(p) for p in nltk.data.path}:
        print(f"note: NLTK does not search {root}; export NLTK_DATA={root}")
    return 0
