"""Figures with their sample counts and 95% intervals, as every audit figure is reported.

API:
  wilson, proportion              re-exported from perbench.stats (the release uses them too)
  mean_figure(values) -> {"value", "n", "ci95"}     mean with a normal-approximation interval
  share_text(figure) -> str                      "0.49 [0.42, 0.56] (n=120)"
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from perbench.stats import Z95, proportion, wilson

__all__ = ["Z95", "mean_figure", "proportion", "share_text", "wilson"]


def mean_figure(values: Sequence[float]) -> dict[str, Any]:
    n = len(values)
    if n == 0:
        return {"value": None, "n": 0, "ci95": None}
    mean = math.fsum(values) / n
    if n == 1:
        return {"value": mean, "n": 1, "ci95": None}
    variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    half = Z95 * math.sqrt(variance / n)
    return {"value": mean, "n": n, "ci95": [mean - half, mean + half]}


def share_text(figure: dict[str, Any]) -> str:
    if figure.get("value") is None:
        return f"n/a (n={figure.get('n', 0)})"
    interval = figure.get("ci95")
    ci = f" [{interval[0]:.2f}, {interval[1]:.2f}]" if interval else ""
    return f"{figure['value']:.2f}{ci} (n={figure['n']})"
