"""A page (here a gradio_client) left open across a server restart is told to reload."""

from __future__ import annotations

import inspect

import gradio as gr
import pytest
from gradio_client import Client

from review_ui.app import build_app, launch_app
from review_ui.guard import RESTARTED, guard

SAMPLE, MESSAGE = 1, 8


def test_a_stale_page_is_told_to_reload_and_nothing_is_recorded(store, tmp_path, free_port):
    display = tmp_path / "display"
    first = build_app(store, "alice", display)
    url = launch_app(first, "127.0.0.1", free_port, {}, display)
    client = Client(url, verbose=False)
    shown = client.predict(api_name="/show")[SAMPLE]
    first.close()
    second = build_app(store, "alice", display)  # the restarted server: a new token
    launch_app(second, "127.0.0.1", free_port, {}, display)
    try:
        page = client.predict(shown, api_name="/accept")
        assert page[MESSAGE] == RESTARTED
        assert store.decisions() == []
        with pytest.raises(Exception, match="server restarted"):
            client.predict(api_name="/agreement")
        fresh = Client(url, verbose=False)  # a reloaded page works again
        page = fresh.predict(fresh.predict(api_name="/show")[SAMPLE], api_name="/accept")
        assert "Recorded: accept" in page[MESSAGE]
        assert [d.sample_id for d in store.decisions()] == [shown]
    finally:
        second.close()


def test_guard_passes_the_token_between_inputs_and_injected_parameters():
    message, other = gr.Markdown(), gr.Textbox()

    def handler(sample_id: str, state: dict, request: gr.Request) -> tuple:
        return sample_id, request

    run = guard("t0", [other, message], message)(handler)
    assert list(inspect.signature(run).parameters) == ["sample_id", "state", "boot", "request"]
    assert run("s1", {}, "t0", "req") == ("s1", "req")
    stale = run("s1", {}, "old", "req")
    assert stale[1] == RESTARTED and stale[0] != "s1"
