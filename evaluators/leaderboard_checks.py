"""Results files are input from others: check them before a leaderboard shows or ranks them.

API:
  checked_result(result, path) -> dict     schema, types and ranges checked, overall recomputed,
                                           headline and counts cross-checked against metrics
                                           (``evaluators.leaderboard_consistency``)
  row_identity(result) -> tuple            (model, revision, release fingerprint, protocol)
  csv_safe(value) -> value                 a text cell that a spreadsheet cannot run as a formula
  markdown_safe(text) -> str               plain text in markdown: one line, HTML's ``& < >`` as
                                           entities, every markdown punctuation mark escaped

Headline fractions (METEOR, accuracy, cIoU, gIoU) must be finite numbers in [0, 1] or null;
overall must be finite in [0, 100], equal (within ``OVERALL_TOLERANCE``) to the overall
recomputed from its parts, and null exactly when a part is null. NaN and Infinity are refused.
A row's identity never includes its timestamp: two files of one identity with different numbers
are refused instead of letting the newer-looking one win.
"""

from __future__ import annotations

import html
import math
import re
from pathlib import Path
from typing import Any

from evaluators.leaderboard_consistency import consistency_problem
from evaluators.protocols import PROTOCOLS, overall
from perbench.errors import PerBenchError

FRACTIONS = ("meteor", "accuracy", "ciou", "giou")
OVERALL_TOLERANCE = 1e-6
MAX_NAME_CHARS = 200
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# the punctuation that can start inline markup in CommonMark/GFM wherever it stands (emphasis,
# code, links and images, strike-through, table cells, math); '<' and '&' are HTML entities
# already, and no field starts a line (line breaks are flattened), so block markup cannot start
MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]!|~$])")


def _refuse(path: Path, message: str) -> None:
    raise PerBenchError(
        message, where=str(path), hint="a results file must be as `perbench evaluate` wrote it"
    )


def _text(value: Any, field: str, path: Path, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME_CHARS:
        _refuse(path, f"{field} must be a non-empty string of at most {MAX_NAME_CHARS} characters")


def _number(value: Any, field: str, high: float, path: Path) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _refuse(path, f"headline {field} must be a number or null, got {type(value).__name__}")
    if not math.isfinite(value):
        _refuse(path, f"headline {field} is {value}: NaN and Infinity are not scores")
    if not 0 <= value <= high:
        _refuse(path, f"headline {field} = {value} is outside [0, {high:g}]")
    return float(value)


def checked_result(result: dict[str, Any], path: str | Path) -> dict[str, Any]:
    path = Path(path)
    model, bench = result["model"], result["benchmark"]
    _text(model.get("name"), "model name", path)
    _text(model.get("revision"), "model revision", path, optional=True)
    _text(bench.get("name"), "benchmark name", path)
    _text(bench.get("version"), "benchmark version", path)
    _text(bench.get("fingerprint"), "benchmark fingerprint", path)
    if result["protocol"] not in PROTOCOLS:
        _refuse(path, f"unknown protocol {result['protocol']!r}; one of {sorted(PROTOCOLS)}")
    headline = result["headline"]
    parts = [_number(headline.get(name), name, 1.0, path) for name in FRACTIONS]
    stated = _number(headline.get("overall"), "overall", 100.0, path)
    expected = None if None in parts else overall(*parts)
    if (stated is None) != (expected is None) or (
        stated is not None and abs(stated - expected) > OVERALL_TOLERANCE
    ):
        shown = "null" if expected is None else f"{expected:.6f}"
        _refuse(path, f"headline overall {stated} does not match its parts (recomputed: {shown})")
    problem = consistency_problem(result)
    if problem:
        _refuse(path, problem)
    timestamp = result.get("timestamp", "")
    if not isinstance(timestamp, str):
        _refuse(path, "timestamp must be a string")
    return result


def row_identity(result: dict[str, Any]) -> tuple[str, str, str, str]:
    model = result["model"]
    return (
        model["name"],
        model.get("revision") or "",
        result["benchmark"]["fingerprint"],
        result["protocol"],
    )


def csv_safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def markdown_safe(text: Any) -> str:
    """``text`` as inert markdown: no HTML tag (``<img onerror>``, ``<script>``), no link or
    autolink (``[x](javascript:...)``), no heading, emphasis or extra table cell can come of it."""
    flat = " ".join(str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return MARKDOWN_PUNCTUATION.sub(r"\\\1", html.escape(flat, quote=False))
