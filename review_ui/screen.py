"""What one review page shows, free of Gradio: the Screen and its header and progress texts.

API:
  Screen                 sample_id, view (review_ui.view.SampleView), header, message,
                         progress_html, slots, instances, categories, reviewers, mask_edits,
                         version (what an accept binds to), versions_html / version_choices
                         (a conflict's competing versions), prefetch (the image URLs of the likely
                         next sample, for the page to load ahead)
  STATUS_COLORS          {status: CSS colour} of the progress bars
  header_markdown(sample, state, queue, rule, filters, remaining, resolving) -> str
  progress_html(queue, reviewer, remaining) -> str   one bar per task (samples by status) and
                         per reviewer (samples decided)
  bar_row(label, parts, total, text="") -> str       one such bar
  reasons_text(reason_column) -> str                 a decision's structured reasons in words

Every user-supplied string (category, reviewer names, reasons, notes) is HTML-escaped.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from perbench.needs import decode_reasons
from perbench.review_log import SampleState
from perbench.schema import Sample
from review_ui.queue import TO_REVIEW, Filters, ReviewQueue
from review_ui.view import SampleView

STATUS_COLORS = {
    "accepted": "#2e9e44",
    "in_review": "#9bd3a6",
    "conflict": "#f08c00",
    "rejected": "#d63c3c",
    "pending": "#c8c8c8",
}


@dataclass
class Screen:
    """Everything one page shows (review_ui.render makes the outputs of it)."""

    sample_id: str | None
    view: SampleView | None
    header: str
    message: str
    progress_html: str
    slots: list[str] = field(default_factory=list)
    instances: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    reviewers: list[str] = field(default_factory=list)
    mask_edits: dict[str, Any] = field(default_factory=dict)
    version: str | None = None
    versions_html: str = ""
    version_choices: list[tuple[str, str]] = field(default_factory=list)
    prefetch: list[str] = field(default_factory=list)


def bar_row(label: str, parts: list[tuple[str, str, int]], total: int, text: str = "") -> str:
    """An HTML progress row: coloured segments sized by count, then the counts in words."""
    segments = "".join(
        f"<div title='{name}: {count}' "
        f"style='width:{100 * count / max(total, 1):.2f}%;background:{color}'></div>"
        for name, color, count in parts
        if count
    )
    words = text or ", ".join(f"{name} {count}" for name, _, count in parts if count)
    return (
        f"<div class='pb-row'><b>{html.escape(label)}</b><div class='pb-bar'>{segments}</div>"
        f"{html.escape(words)}</div>"
    )


def header_markdown(
    sample: Sample,
    state: SampleState,
    queue: ReviewQueue,
    rule: int,
    filters: Filters,
    remaining: int,
    resolving: bool,
) -> str:
    """The sample's task, category, status and review rule; in a conflict who may settle it;
    outside the reviewer's own queue, the live decisions (names and notes escaped)."""
    lines = [
        f"**{sample.task}** · {html.escape(queue.category(sample.id))} · status "
        f"**{state.status}** · rule: {rule} accept(s) · {remaining} left for you"
    ]
    if resolving:
        lines.append("**Resolving a conflict:** your accept or reject settles this sample.")
    elif filters.status == "conflict" and state.status == "conflict":
        lines.append(
            "**Conflict:** only an adjudicator settles it; your accept or reject is recorded "
            "as your own vote."
        )
    if filters.status != TO_REVIEW:
        for entry in state.live_decisions:
            detail = f" ({', '.join(sorted(entry.after))})" if entry.after else ""
            reason = f": {html.escape(reasons_text(entry.reason))}" if entry.reason else ""
            note = f" ({html.escape(entry.note)})" if entry.note else ""
            who = html.escape(entry.reviewer)
            lines.append(f"- {who}: {entry.decision}{detail}{reason}{note}")
    return "\n".join(lines)


def reasons_text(column: str | None) -> str:
    """The log's ``reason`` column in words: ``false-statement (statement 2); other (note)``."""
    parts = []
    for reason in decode_reasons(column):
        details = []
        if reason.get("sentence") is not None:
            details.append(f"statement {reason['sentence'] + 1}")
        if reason.get("need"):
            details.append(f"need {reason['need']}")
        if reason.get("note"):
            details.append(reason["note"])
        parts.append(reason["code"] + (f" ({', '.join(details)})" if details else ""))
    return "; ".join(parts)


def progress_html(queue: ReviewQueue, reviewer: str, remaining: int) -> str:
    """One bar per task (samples by status) and per reviewer (samples decided / all)."""
    rows = []
    for task, counts in queue.task_progress().items():
        parts = [(status, color, counts.get(status, 0)) for status, color in STATUS_COLORS.items()]
        rows.append(bar_row(task, parts, sum(counts.values())))
    people = queue.reviewer_progress()
    for name in sorted({*people, reviewer}):
        decided = queue.decided_count(name)
        parts = [("decided", STATUS_COLORS["accepted"], decided)]
        label = f"{name} (you, {remaining} left)" if name == reviewer else name
        counts = ", ".join(f"{kind} {n}" for kind, n in sorted(people.get(name, {}).items()))
        rows.append(bar_row(label, parts, queue.total(), counts))
    return "<div class='pb-progress'>" + "".join(rows) + "</div>"
