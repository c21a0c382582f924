"""Proportions with Wilson score intervals, shared by the audit and the release's spot check.

API:
  Z95                                   the normal quantile of a two-sided 95% interval
  wilson(k, n, z=Z95) -> (low, high)    Wilson score interval of the proportion k/n (n > 0)
  proportion(k, n) -> {"value", "k", "n", "ci95"}   value None (and no interval) when n = 0
  sample_size_for_width(width, expected, z=Z95, population=None) -> int
      the smallest n whose Wilson interval around ``expected`` is at most ``width`` wide
"""

from __future__ import annotations

import math
from typing import Any

Z95 = 1.96


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of k successes in n trials (n > 0)."""
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # at k = 0 or k = n the bound equals p only up to rounding: keep p inside its interval
    return min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half))


def proportion(k: int, n: int) -> dict[str, Any]:
    if n == 0:
        return {"value": None, "k": 0, "n": 0, "ci95": None}
    low, high = wilson(k, n)
    return {"value": k / n, "k": k, "n": n, "ci95": [low, high]}


def _width(n: int, expected: float, z: float) -> float:
    p = expected
    return 2 * z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)


def sample_size_for_width(
    width: float, expected: float, z: float = Z95, population: int | None = None
) -> int:
    """Smallest n with a Wilson interval at most ``width`` wide when the observed rate is
    ``expected`` (0 < width < 1, 0 <= expected <= 1); capped at ``population`` when given."""
    if not 0 < width < 1 or not 0 <= expected <= 1:
        raise ValueError(f"need 0 < width < 1 and 0 <= expected <= 1, got {width}, {expected}")
    low, high = 1, 1
    while _width(high, expected, z) > width:  # the width shrinks as n grows
        low, high = high, high * 2
    while low < high:
        middle = (low + high) // 2
        if _width(middle, expected, z) > width:
            low = middle + 1
        else:
            high = middle
    return min(high, population) if population is not None else high
