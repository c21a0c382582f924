"""The perbench command: every subcommand has --help; errors are one line with status 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from perbench.cli import COMMANDS, main


def test_top_level_help_lists_every_command():
    result = subprocess.run(
        [sys.executable, "-m", "perbench.cli", "--help"], capture_output=True, text=True, check=True
    )
    for command in COMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as caught:
        main([command, "--help"])
    assert caught.value.code == 0
    assert "usage: perbench" in capsys.readouterr().out


def test_error_is_one_line_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "perbench.cli", "release", "verify", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert "manifest.json is missing" in result.stderr
    debug = subprocess.run(
        [sys.executable, "-m", "perbench.cli", "--debug", "release", "verify", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert "Traceback" in debug.stderr
