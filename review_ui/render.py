"""A Screen (review_ui.screen) as the review page's outputs.

API:
  PAGE_OUTPUTS                  the names of the page's outputs, in the order every page event
                                returns them (review_ui.layout.Layout.page), the session last
  render(screen, state) -> tuple   those outputs for ``screen``, then the new session state
                                (the sample, its version and mask edits, what was sent)
  picture_html(url, prefetch) -> str   the sample <img> by URL, then the likely next sample's
                                images, hidden (``data-src``: the page fetches them ahead)
  closeup_html(url) -> str      the close-up <img>, or "" when there is none

Values go out through review_ui.delta.send: component properties (choices, visibility) only
when they changed since this page last got them.
"""

from __future__ import annotations

import html
from typing import Any

from perbench.schema import OPTION_LETTERS
from review_ui.checks import (
    QUICK_REJECTS,
    need_choices,
    needs_html,
    sample_needs,
    sentence_choices,
)
from review_ui.delta import Props, send
from review_ui.queue import ALL
from review_ui.screen import Screen
from review_ui.shortcuts import button_label
from review_ui.view import SampleView, escape

QUICK_REJECT_OUTPUTS = tuple(
    elem.replace("-", "_") for rejects in QUICK_REJECTS.values() for *_, elem in rejects
)
PAGE_OUTPUTS = (
    "image", "sample_box", "header", "draft", "question", "references", "options", "answer",
    "message", "progress", "mask_slot", "instance", "task_filter", "status_filter",
    "category_filter", "reviewer_filter", "editor", "versions_view", "version_pick", "near",
    "needs_view", "needs_ok", "need_yes_btn", "false_sentences", "settle_btn",
    *QUICK_REJECT_OUTPUTS, "session",
)  # fmt: skip


def picture_html(url: str, prefetch: list[str]) -> str:
    """The sample image by its URL, then the likely next sample's images, hidden: the page
    fetches them once the shown one is decoded (review_ui.images.FETCH_AHEAD_JS) and has them
    in its cache when the key is pressed."""
    ahead = "".join(f'<img data-src="{html.escape(u)}" alt="">' for u in prefetch)
    return (
        f'<img class="pb-sample" src="{html.escape(url)}" alt="sample image">'
        f'<div class="pb-prefetch" hidden>{ahead}</div>'
    )


def closeup_html(url: str | None) -> str:
    if url is None:
        return ""
    return (
        "<p>Close-up of the small or thin prompt region (at least 3x the photo's scale)</p>"
        f'<img src="{html.escape(url)}" alt="close-up of the prompt region">'
    )


def render(screen: Screen, state: dict[str, Any]) -> tuple:
    """The page outputs (``PAGE_OUTPUTS`` order, then the new session state) for ``screen``."""
    state = {
        **state,
        "sample_id": screen.sample_id,
        "mask_edits": screen.mask_edits,
        "version": screen.version,
        "overlay": True,
    }
    filters = state["filters"]
    chosen = (filters["task"], filters["status"])
    categories = Props(filters["category"], choices=[ALL, *screen.categories])
    reviewers = Props(filters["reviewer"], choices=[ALL, *screen.reviewers])
    view = screen.view
    if view is None:
        hidden = Props("", visible=False)
        values = (
            "", "", screen.header, "", "", hidden, hidden, Props(None, visible=False),
            escape(screen.message), screen.progress_html, Props(None, choices=[]),
            Props(None, choices=[]), *chosen, categories, reviewers, "", "",
            Props(None, choices=[], visible=False), "", "", Props([], choices=[], visible=False),
            Props("", visible=False), Props([], choices=[], visible=False),
            Props("", visible=False), *[Props("", visible=False)] * len(QUICK_REJECT_OUTPUTS),
        )  # fmt: skip
    else:
        values = _page_values(view, screen, state, (*chosen, categories, reviewers))
    sent, state["shown"] = send(values, state.get("shown", {}))
    return (*sent, state)


def _page_values(
    view: SampleView, screen: Screen, state: dict[str, Any], filter_values: tuple
) -> tuple:
    sample = view.sample
    slot = state.get("slot")
    kept_slot = slot if slot in screen.slots else (screen.slots or [None])[0]
    state["slot"] = kept_slot
    # the needs belong to the draft (edits never change meta); the statements to what is shown
    needs = sample_needs(sample)
    sentences = sentence_choices(sample)
    quick = [
        (task, f"{label} [{key.upper()}]")
        for task, rejects in QUICK_REJECTS.items()
        for key, _, label, _ in rejects
    ]
    letters = list(OPTION_LETTERS[: len(sample.options or [])])
    answer = OPTION_LETTERS[sample.answer] if sample.answer is not None else None
    return (
        picture_html(view.image_url, screen.prefetch),
        sample.id,
        screen.header,
        view.draft_markdown,
        sample.question,
        Props("\n\n".join(sample.references or []), visible=sample.task == "description"),
        Props("\n".join(sample.options or []), visible=sample.task == "mcq"),
        Props(answer, choices=letters, visible=sample.task == "mcq"),
        escape(screen.message),
        screen.progress_html,
        Props(kept_slot, choices=screen.slots),
        Props(None, choices=screen.instances),
        *filter_values,
        "",
        screen.versions_html,
        Props(None, choices=screen.version_choices, visible=bool(screen.version_choices)),
        closeup_html(view.closeup_url),
        needs_html(needs),
        Props([], choices=need_choices(needs), visible=bool(needs)),
        Props(button_label("y"), visible=bool(needs)),
        Props([], choices=sentences, visible=bool(sentences)),
        Props("Settle with this version", visible=bool(screen.version_choices)),
        *[Props(label, visible=sample.task == task) for task, label in quick],
    )
