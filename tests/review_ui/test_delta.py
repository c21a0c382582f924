"""Only the outputs that changed are sent to the page."""

from __future__ import annotations

from gradio_client import Client

from review_ui.delta import only_changed

SAMPLE, MESSAGE, TASK_FILTER, STATUS_FILTER = 1, 8, 12, 13


def _skipped(output) -> bool:
    return isinstance(output, dict) and output.get("__type__") == "update" and "value" not in output


def test_only_changed_skips_outputs_equal_to_the_last_sent():
    sent, keys = only_changed(["a", "b", "c"], {0: "a", 1: "b"}, {0: "a", 1: "old"})
    assert _skipped(sent[0]) and sent[1:] == ["b", "c"]  # 2 has no key: always sent
    assert keys == {0: "a", 1: "b"}


def test_an_accept_resends_the_sample_not_the_unchanged_filters(store, serve):
    client = Client(serve(store), verbose=False)
    page = client.predict(api_name="/show")
    assert not _skipped(page[TASK_FILTER])
    after = client.predict(page[SAMPLE], api_name="/accept")
    assert after[SAMPLE] != page[SAMPLE] and "Recorded: accept" in after[MESSAGE]
    assert _skipped(after[TASK_FILTER]) and _skipped(after[STATUS_FILTER])
    picked = client.predict("mcq", "to review", "all", "all", api_name="/filter")
    assert not _skipped(picked[TASK_FILTER])  # the page changed it: the answer is sent
    assert picked[SAMPLE].startswith("mcq-")
