"""Outputs are sent as plain values; component properties only when they changed."""

from __future__ import annotations

from gradio_client import Client

from review_ui.delta import Props, send

SAMPLE, REFERENCES, OPTIONS, MESSAGE, CATEGORY_FILTER = 1, 5, 6, 8, 14


def _update(output) -> bool:
    return isinstance(output, dict) and output.get("__type__") == "update"


def test_send_gives_properties_only_when_they_changed():
    values = ["a", Props("b", visible=True), Props("c", choices=["c", "d"])]
    sent, shown = send(values, {})
    assert sent[0] == "a" and all(_update(v) for v in sent[1:])
    assert sent[1]["value"] == "b" and sent[1]["visible"] is True
    again, kept = send([v for v in values], shown)
    assert again == ["a", "b", "c"] and kept == shown
    changed, _ = send(["a", Props("b", visible=False), Props("e", choices=["c", "d"])], shown)
    assert _update(changed[1]) and changed[1]["visible"] is False and changed[2] == "e"


def test_an_accept_sends_values_and_only_the_changed_properties(store, serve):
    client = Client(serve(store), verbose=False)
    page = client.predict(api_name="/show")
    assert page[SAMPLE].startswith("description-")
    assert _update(page[CATEGORY_FILTER]) and _update(page[OPTIONS])  # first: properties
    after = client.predict(page[SAMPLE], api_name="/accept")
    assert after[SAMPLE].startswith("description-") and "Recorded: accept" in after[MESSAGE]
    assert after[CATEGORY_FILTER] == "all"  # same choices: the plain value
    assert after[OPTIONS] == "" and after[REFERENCES].startswith("A ")  # same visibility
    mcq = client.predict("mcq", "to review", "all", "all", api_name="/filter")
    assert mcq[SAMPLE].startswith("mcq-") and mcq[CATEGORY_FILTER] == "all"
    assert _update(mcq[OPTIONS]) and mcq[OPTIONS]["visible"] is True  # now an MCQ
    assert _update(mcq[REFERENCES]) and mcq[REFERENCES]["visible"] is False
