"""Sending a page only the outputs that changed (Gradio redraws every output it is sent).

API:
  only_changed(values, keys, shown) -> (values, keys)
      values: one event's outputs; keys: ``{index: fingerprint}`` of the outputs the reviewer
      cannot change on the page themselves (texts shown, the filters' values as last set by
      the server); shown: the keys last sent to this page (kept in its session state). An
      output whose fingerprint equals the one last sent becomes ``gr.skip()``. Returns the
      values to send and the keys to keep as ``shown``.

A handler that lets the page change one of these outputs on its own (a filter the reviewer
picked) must forget ``shown`` first, so the server's answer is sent again.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import gradio as gr


def only_changed(
    values: Sequence[Any], keys: dict[int, Hashable], shown: dict[int, Hashable]
) -> tuple[list[Any], dict[int, Hashable]]:
    """The values to send and the fingerprints to remember (see the module docstring)."""
    sent = [gr.skip() if i in keys and shown.get(i) == keys[i] else v for i, v in enumerate(values)]
    return sent, dict(keys)
