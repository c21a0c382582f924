"""The ``perbench`` command: one subcommand per step of the pipeline.

Each subcommand lives in the package that owns the step and is listed in ``COMMANDS``; a
command module defines ``configure(parser)`` (adds its arguments) and ``run(args) -> int``.
Modules are imported only when their command runs, so ``perbench --help`` stays fast and a
missing extra (gradio, torch) only matters to the command that needs it.

Errors: any ``PerBenchError`` prints as one line and exits with status 2, and so does a full
disk or a permission error (``perbench.errors.storage_error``); ``--debug`` shows the traceback.
An open progress bar is closed first, so the line starts a line of its own. A reader that
closes the pipe early (``perbench release show R | head``) ends the command quietly.

Limits: every subcommand takes ``--limit NAME=N`` (repeatable), the input bounds of
``perbench.limits`` while the command runs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sqlite3
import sys

from perbench import __version__
from perbench.errors import PerBenchError, storage_error
from perbench.limits import LIMITS, limits_in_force, parse_limit

COMMANDS: dict[str, tuple[str, str]] = {
    "build": ("builders.cli", "draft candidate samples from annotated sources into a store"),
    "audit": ("evaluators.audit.cli", "measure how far a store or release can be trusted"),
    "review": ("review_ui.cli", "open the review app on a candidate store"),
    "release": ("perbench.release_cli", "write, verify, export or import a release"),
    "evaluate": ("evaluators.cli", "score a predictions file against a release"),
    "export": ("evaluators.export_cli", "a release as an lmms-eval or VLMEvalKit task"),
    "leaderboard": ("evaluators.leaderboard_cli", "build the leaderboard from result files"),
    "serve": ("evaluators.server.cli", "the submission server for withheld test splits"),
    "setup-wordnet": ("evaluators.wordnet_cli", "prepare NLTK's WordNet offline from Debian files"),
    "model": ("models.cli", "train or run the reference Pixel-SAIL model"),
    "demo": ("pipeline_demo.cli", "run the whole pipeline on the embedded photos"),
}
EXTRAS_HINT = {
    "review_ui": "review",
    "models": "model",
    "evaluators": "eval",
    "pipeline_demo": "all",
}


def load_command(command: str):
    """The module of a subcommand (imported now); also how hub steps get an outer part."""
    module_name = COMMANDS[command][0]
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        package = module_name.split(".")[0]
        if exc.name and exc.name.split(".")[0] == package:
            raise
        extra = EXTRAS_HINT.get(package, "all")
        raise PerBenchError(
            f"'perbench {command}' needs the package '{exc.name}'",
            hint=f"pip install 'perbench[{extra}]'",
        ) from None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="perbench", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"perbench {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--debug",
            action="store_true",
            default=argparse.SUPPRESS,
            help="show tracebacks on errors",
        )
        sub.add_argument(  # taken out of argv by ``main`` (it may follow a nested command)
            "--limit",
            action="append",
            default=argparse.SUPPRESS,
            metavar="NAME=N",
            help=f"raise or lower an input limit (K, M, G suffixes); names: {', '.join(LIMITS)}",
        )
        if name == command:
            load_command(name).configure(sub)
    return parser


def _take_limits(argv: list[str]) -> tuple[list[str], dict[str, int]]:
    """``argv`` without its ``--limit NAME=N`` options, and those limits."""
    rest: list[str] = []
    limits: dict[str, int] = {}
    options = iter(argv)
    for option in options:
        if option == "--limit":
            value = next(options, None)
            if value is None:
                raise PerBenchError("--limit needs NAME=N")
            limits.update([parse_limit(value)])
        elif option.startswith("--limit="):
            limits.update([parse_limit(option.removeprefix("--limit="))])
        else:
            rest.append(option)
    return rest, limits


def _close_progress_bars() -> None:
    """Close any tqdm bar a failing command left open, so its line ends before the error."""
    tqdm = sys.modules.get("tqdm")
    for bar in list(getattr(getattr(tqdm, "tqdm", None), "_instances", ())):
        bar.close()


def _quiet_broken_pipe() -> int:
    """The reader of stdout went away: point stdout at /dev/null so exit's flush is silent."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 141  # as a shell reports a command ended by SIGPIPE


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        argv, limits = _take_limits(argv)
        command = next((a for a in argv if not a.startswith("-")), None)
        parser = build_parser(command if command in COMMANDS else None)
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help()
            return 0
        with limits_in_force(limits):
            return int(load_command(args.command).run(args) or 0)
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except PerBenchError as exc:
        if debug:
            raise
        _close_progress_bars()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (OSError, sqlite3.Error) as exc:
        storage = storage_error(exc)
        if debug or storage is None:
            raise
        _close_progress_bars()
        print(f"error: {storage}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
