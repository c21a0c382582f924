"""Event guards of the review app: a page left open across a server restart, and errors.

API:
  RESTARTED                         what a stale page shows: the server restarted, reload
  RESTARTED_LOGIN                   the same with login on: reload and log in again
  boot_token() -> str               a fresh token per app build; the page carries it in a hidden
                                    box and sends it with every event
  public_message(error) -> str      a PerBenchError as a reviewer sees it (no server paths)
  guard(token, outputs, message) -> decorator
      wraps ``handler(*inputs, *injected)`` into ``run(*inputs, boot, *injected)`` (``boot``, the
      page's token, is the event's last input; ``injected`` are gr.Request / gr.EventData
      parameters Gradio fills in): when ``boot`` is not ``token`` (the page
      was loaded from an earlier server: its session and the sample it showed are unknown here)
      nothing is decided and every output is left as it is except ``message``, which says to
      reload (a gr.Error with that text when ``message`` is not among ``outputs``); a
      PerBenchError becomes a gr.Error with ``public_message``.
  STALE_LOGIN_JS                    page JavaScript (part of ``Blocks.launch(js=...)``): with login
      on, a restarted server has forgotten the page's login and refuses its events (HTTP 401 on
      ``.../run/...`` and ``.../queue/join``) before any guard runs; the page then shows
      RESTARTED_LOGIN in a banner (``#stale-page``) instead of bare "Error" badges
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import secrets
from collections.abc import Callable, Sequence
from typing import Any

import gradio as gr

from perbench.errors import PerBenchError

LOG = logging.getLogger(__name__)
_RESTARTED = (
    "**The review server restarted since this page was loaded: {what}** "
    "(nothing was recorded for this key; your committed decisions are kept)."
)
RESTARTED = _RESTARTED.format(what="reload the page")
RESTARTED_LOGIN = _RESTARTED.format(what="reload the page and log in again")
EVENT_PATHS = ("/run/", "/queue/join")
STALE_LOGIN_JS = """
() => {
  const original = window.fetch;
  const warn = () => {
    if (document.getElementById("stale-page")) return;
    const banner = document.createElement("div");
    banner.id = "stale-page";
    banner.setAttribute("role", "alert");
    banner.textContent = __TEXT__;
    banner.style.cssText = "position: fixed; top: 0; left: 0; right: 0; z-index: 10000; "
      + "padding: 12px; background: #b91c1c; color: #fff; font-weight: 600; text-align: center";
    document.body.appendChild(banner);
  };
  window.fetch = async (...args) => {
    const response = await original(...args);
    const url = String(args[0]?.url ?? args[0]);
    if (response.status === 401 && __PATHS__.some((path) => url.includes(path))) warn();
    return response;
  };
}
""".replace("__TEXT__", json.dumps(RESTARTED_LOGIN.replace("**", ""))).replace(
    "__PATHS__", json.dumps(EVENT_PATHS)
)


def boot_token() -> str:
    """A token unique to this server start."""
    return secrets.token_hex(8)


def public_message(error: PerBenchError) -> str:
    """The error as a reviewer sees it: without the server's file paths (logged instead)."""
    LOG.warning("review app: %s", error)
    text = str(error)
    if error.where:
        text = text.replace(f"{error.where}: ", "", 1).replace(error.where, "the server's file")
    return text


def _injected(param: inspect.Parameter) -> bool:
    """Whether Gradio fills ``param`` in (a request or event data), not an event input."""
    annotation = param.annotation
    name = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return name.rsplit(".", 1)[-1] in {"Request", "SelectData", "EventData"}


def guard(
    token: str, outputs: Sequence[gr.components.Component], message: gr.components.Component
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The decorator described in the module docstring."""

    def wrap(handler: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(handler)
        params = list(signature.parameters.values())
        at = next((i for i, p in enumerate(params) if _injected(p)), len(params))

        @functools.wraps(handler)
        def run(*args: Any) -> Any:
            boot, args = args[at], (*args[:at], *args[at + 1 :])
            if boot != token:
                if message not in outputs:
                    raise gr.Error(RESTARTED.replace("**", ""))
                reply = tuple(RESTARTED if c is message else gr.skip() for c in outputs)
                return reply if len(reply) > 1 else reply[0]
            try:
                return handler(*args)
            except PerBenchError as exc:
                raise gr.Error(public_message(exc)) from None

        boot = inspect.Parameter("boot", inspect.Parameter.POSITIONAL_OR_KEYWORD)
        run.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*params[:at], boot, *params[at:]]
        )
        return run

    return wrap
