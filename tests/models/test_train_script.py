"""models/train.py's docstring: its commands are whole lines that its own parser accepts."""

from __future__ import annotations

import argparse
import shlex

import models.train

LAUNCHERS = ("perbench model train ", "python -m models.train ", "torchrun ")


def _commands(doc: str) -> list[str]:
    commands, lines = [], iter(doc.splitlines())
    for line in lines:
        command = line.strip()
        if not command.startswith(LAUNCHERS):
            continue
        while command.endswith("\\"):
            command = command[:-1] + next(lines).strip()
        commands.append(command)
    return commands


def test_docstring_commands_parse_and_no_line_was_joined():
    doc = models.train.__doc__
    assert max(len(line) for line in doc.splitlines()) <= 100
    commands = _commands(doc)
    assert len(commands) == 5 and any(c.startswith("torchrun ") for c in commands)
    parser = argparse.ArgumentParser()
    models.train.configure(parser)
    for command in commands:
        words = shlex.split(command)
        # after "-m models.train", or after "perbench model train"
        first = words.index("models.train") + 1 if "models.train" in words else 3
        assert parser.parse_args(words[first:]).out.startswith("runs/")
