"""Sum-reducible metric state: what a shard writes and what a merge adds up.

API:
  Metric                  base class: update(sample, prediction) -> per-sample record,
                          state (dict), merge(state), result() -> {metric: value}, close()
  add_states(a, b)        the sum of two states (same layout)
  state_to_json(state)    JSON-ready copy: Fractions become {"fraction": "n/d"}
  state_from_json(data)   the inverse; a fraction must be "n/d" (d > 0) of at most the
                          ``fraction_digits`` limit's digits each, else a PerBenchError

A state is a nested dict whose leaves are ints, Fractions (exact sums of floats, so that the
order of additions, and hence the sharding, cannot change a result by one bit), lists of those
(added element-wise) or dicts of those (added key-wise; a key missing on one side counts as 0).
``prediction`` is ``None`` for a sample missing from the submission.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from perbench.errors import PerBenchError
from perbench.limits import limit
from perbench.schema import Sample

State = dict[str, Any]


def add_states(a: Any, b: Any) -> Any:
    """Element-wise / key-wise sum of two states with the same layout."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for key, value in b.items():
            out[key] = add_states(out[key], value) if key in out else value
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            raise ValueError(f"cannot add state vectors of lengths {len(a)} and {len(b)}")
        return [add_states(x, y) for x, y in zip(a, b, strict=True)]
    return a + b


def state_to_json(state: Any) -> Any:
    if isinstance(state, Fraction):
        return {"fraction": f"{state.numerator}/{state.denominator}"}
    if isinstance(state, dict):
        return {key: state_to_json(value) for key, value in state.items()}
    if isinstance(state, list):
        return [state_to_json(value) for value in state]
    return state


def state_from_json(data: Any) -> Any:
    if isinstance(data, dict):
        if set(data) == {"fraction"} and isinstance(data["fraction"], str):
            return _fraction(data["fraction"])
        return {key: state_from_json(value) for key, value in data.items()}
    if isinstance(data, list):
        return [state_from_json(value) for value in data]
    return data


_FRACTION = re.compile(r"(-?[0-9]+)/([0-9]+)", re.ASCII)


def _fraction(text: str) -> Fraction:
    """``"n/d"`` as written by ``state_to_json``; nothing else (no exponents, no zero d)."""
    digits = limit("fraction_digits")
    match = _FRACTION.fullmatch(text) if len(text) <= 2 * digits + 2 else None
    if match is None or max(len(match.group(1)), len(match.group(2))) > digits:
        raise PerBenchError(
            f"a metric state fraction must be 'n/d' of at most {digits} digits each, "
            f"got {text[:40]!r}",
            hint="score that shard again with `perbench evaluate --shard i/n`",
        )
    if int(match.group(2)) == 0:
        raise PerBenchError(f"a metric state fraction has a zero denominator: {text[:40]!r}")
    return Fraction(int(match.group(1)), int(match.group(2)))


class Metric:
    """One task's metric under one protocol. Subclasses set ``task``, ``name`` and ``state``."""

    task = ""
    name = ""

    def __init__(self) -> None:
        self.state: State = self.initial_state()

    def initial_state(self) -> State:
        raise NotImplementedError

    def update(self, sample: Sample, prediction: Any | None) -> dict[str, Any]:
        """Score one sample, add it to the state, return its per-sample record."""
        raise NotImplementedError

    def merge(self, state: State) -> None:
        self.state = add_states(self.state, state)

    def result(self) -> dict[str, Any]:
        raise NotImplementedError

    def close(self) -> None:
        """Release external resources (the METEOR JVM); the state stays usable."""
