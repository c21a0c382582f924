"""Figures with their sample counts and 95% intervals, as every audit figure is reported.

API:
  wilson(k, n, z=1.96) -> (low, high)           Wilson score interval of the proportion k/n
  proportion(k, n) -> {"value", "k", "n", "ci95"}   value None (and no interval) when n = 0
  mean_figure(values) -> {"value", "n", "ci95"}     mean with a normal-approximation interval
  share_text(figure) -> str                      "0.49 [0.42, 0.56] (n=120)"
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

Z95 = 1.96


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of k successes in n trials (n > 0)."""
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def proportion(k: int, n: int) -> dict[str, Any]:
    if n == 0:
        return {"value": None, "k": 0, "n": 0, "ci95": None}
    low, high = wilson(k, n)
    return {"value": k / n, "k": k, "n": n, "ci95": [low, high]}


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
