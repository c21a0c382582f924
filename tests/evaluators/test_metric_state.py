"""Metric states survive the JSON round trip of a partial file exactly."""

from __future__ import annotations

from fractions import Fraction

from evaluators.metric import add_states, state_from_json, state_to_json


def test_round_trip_keeps_a_group_named_fraction():
    state = {"score_sum": Fraction(1, 3), "groups": {"fraction": [2, 1]}}
    assert state_from_json(state_to_json(state)) == state


def test_add_states_keywise_and_elementwise():
    a = {"n": 1, "v": [Fraction(1, 2), 0], "groups": {"g": [1, 1]}}
    b = {"n": 2, "v": [Fraction(1, 3), 4], "groups": {"h": [1, 0]}}
    assert add_states(a, b) == {
        "n": 3,
        "v": [Fraction(5, 6), 4],
        "groups": {"g": [1, 1], "h": [1, 0]},
    }
