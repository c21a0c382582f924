"""Sending a page its outputs at the least cost.

API:
  Props(value, **props)        an output's value with the component properties it needs shown
                               (``choices``, ``visible``)
  send(values, shown) -> (values, shown)
      values: one event's outputs, plain values or Props; shown: ``{index: fingerprint}`` of the
      properties last sent to this page (kept in its session state). A Props whose properties
      equal the ones last sent becomes its plain value, else ``gr.update(value=..., **props)``.
      Returns the values to send and the new ``shown``.

Why: Gradio answers every component update (``gr.Dropdown(...)``, ``gr.update(...)``, even
``gr.skip()``) by building a new component on the server, about 3 ms each on a loaded 2-core
machine, but a plain value by the component's cheap postprocess (21 outputs: 65 ms skipped vs
17 ms plain). The browser redraws nothing for a value equal to the one it shows, so an
unchanged output is simply sent again as a plain value.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import gradio as gr


class Props:
    """``value`` plus the properties (choices, visibility) the page must show it with."""

    def __init__(self, value: Any, **props: Any):
        self.value = value
        self.props = props

    def fingerprint(self) -> str:
        return json.dumps(self.props, sort_keys=True, default=str)


def send(values: Sequence[Any], shown: dict[int, str]) -> tuple[list[Any], dict[int, str]]:
    """The values to send and the property fingerprints to remember (see the module docstring)."""
    sent, kept = [], {}
    for index, value in enumerate(values):
        if isinstance(value, Props):
            kept[index] = value.fingerprint()
            if shown.get(index) != kept[index]:
                value = gr.update(value=value.value, **value.props)
            else:
                value = value.value
        sent.append(value)
    return sent, kept
