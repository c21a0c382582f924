"""The review page's components, laid out (built inside the app's ``gr.Blocks``).

API:
  CSS                    the page's style (images, progress bars, needs, the mask editor, the
                         adjudication columns)
  new_session() -> dict  a page's session state before its first sample
  Layout(token)          builds every component, in page order, as attributes (``session``,
                         ``boot`` (the hidden boot ``token``, review_ui.guard), the filters,
                         ``image``, ``near``; beside the image what must be read before A
                         (header, ``message``, ``draft``, the needs' questions ``needs_view`` /
                         ``needs_ok``, the statements ``false_sentences``), the buttons (one-key
                         rejects ``reject_wrong_answer`` ...), the reason, the text form in
                         "Edit the text"; the adjudication view and settle row, the mask editor,
                         the finder tables, the agreement report)
    .page                the outputs of every page event (review_ui.render.PAGE_OUTPUTS order)
    .filters             the four filter dropdowns

The sample image and its close-up are gr.HTML holding an <img> by URL (review_ui.images), not
gr.Image: Gradio would copy every picture into its cache per event.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import gradio as gr

from perbench.schema import OPTION_LETTERS, TASKS
from review_ui.adjudication import ADJUDICATION_CSS
from review_ui.checks import QUICK_REJECTS, REASON_CHOICES
from review_ui.finder import HISTORY_COLUMNS, TABLE_COLUMNS
from review_ui.mask_editor import EDITOR_CSS, EDITOR_ID, EDITOR_JS
from review_ui.queue import ALL, STATUS_FILTERS, Filters
from review_ui.render import PAGE_OUTPUTS
from review_ui.shortcuts import button_label

CSS = (
    """
.pb-progress { font-size: 0.85em; }
.pb-row { display: flex; gap: 0.6em; align-items: center; margin: 2px 0; }
#sample-image { overflow: hidden; }
#sample-image img.pb-sample, #closeup img { display: block; object-fit: contain; }
#sample-image img.pb-sample { width: 100%; }
#sample-image img.pb-sample { max-height: calc(100vh - 150px); }
#closeup img { width: auto; max-width: 100%; max-height: 320px; }
.pb-bar { display: flex; width: 240px; height: 10px; background: #eee; overflow: hidden; }
.pb-need { border-left: 4px solid #b45309; padding: 2px 6px; margin: 2px 0; background: #fff7ed; }
.pb-swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.3em;
  border: 2px solid #000; vertical-align: middle; }
#draft p, #draft li { margin: 0.15em 0; }
#draft, #header, #message, #needs { font-size: 0.9em; line-height: 1.3; }
.gradio-container { padding-top: 4px !important; }
#filters .block { padding: 2px 6px; }
#review-side { gap: 6px; }
#review-side .form, #review-side .block { padding-top: 2px; padding-bottom: 2px; }
#reject-reason label { font-size: 0.8em; padding: 1px 4px; }
#key-note { position: fixed; bottom: 12px; left: 50%; transform: translateX(-50%);
  z-index: 10000; padding: 8px 14px; background: #7c2d12; color: #fff; font-weight: 600;
  border-radius: 6px; }
"""
    + EDITOR_CSS
    + ADJUDICATION_CSS
)


def new_session() -> dict[str, Any]:
    return {"filters": asdict(Filters()), "mask_edits": {}, "sample_id": None}


class Layout:
    """The page's components (see the module docstring); call inside ``with gr.Blocks()``."""

    def __init__(self, token: str):
        self.session = gr.State(new_session())
        self.boot = gr.Textbox(token, visible=False, elem_id="boot")
        with gr.Row(elem_id="filters"):
            self.task_filter = gr.Dropdown([ALL, *TASKS], value=ALL, label="Task")
            self.status_filter = gr.Dropdown(
                list(STATUS_FILTERS),
                value=STATUS_FILTERS[0],
                label="Status",
                elem_id="status-filter",
            )
            self.category_filter = gr.Dropdown([ALL], value=ALL, label="Category")
            self.reviewer_filter = gr.Dropdown([ALL], value=ALL, label="Decided by")
        with gr.Row():
            with gr.Column(scale=3):
                self.image = gr.HTML("", elem_id="sample-image")  # <img> by URL (review_ui.images)
                self.near = gr.HTML("", elem_id="closeup")
            with gr.Column(scale=2, elem_id="review-side"):
                # what must be read before A: beside the image, above the buttons
                self.sample_box = gr.Textbox(
                    label="Sample id", interactive=False, elem_id="sample-id", max_lines=1,
                    show_label=False, container=False,
                )  # fmt: skip
                self.header = gr.Markdown(elem_id="header")
                self.message = gr.Markdown(elem_id="message")
                self.draft = gr.Markdown(elem_id="draft")
                self.needs_view = gr.HTML("", elem_id="needs")
                self.needs_ok = gr.CheckboxGroup(
                    [], label="Answered no (key N)", elem_id="needs-ok", visible=False
                )
                self.false_sentences = gr.CheckboxGroup(
                    [], type="value", label="Statements: mark a false one (keys 1-9)",
                    elem_id="false-sentences", visible=False,
                )  # fmt: skip
                with gr.Row():
                    small = {"size": "sm", "min_width": 60}
                    self.accept_btn = gr.Button(
                        button_label("a"), variant="primary", elem_id="accept-btn", **small
                    )
                    self.edit_btn = gr.Button(button_label("e"), elem_id="edit-btn", **small)
                    self.skip_btn = gr.Button(button_label("s"), elem_id="skip-btn", **small)
                    self.undo_btn = gr.Button(button_label("u"), elem_id="undo-btn", **small)
                    self.overlay_btn = gr.Button(button_label("o"), elem_id="overlay-btn", **small)
                with gr.Row():
                    self.need_yes_btn = gr.Button(
                        button_label("y"), variant="stop", elem_id="need-yes-btn", visible=False,
                        **small,
                    )  # fmt: skip
                    for rejects in QUICK_REJECTS.values():
                        for key, _, label, elem in rejects:
                            button = gr.Button(
                                f"{label} [{key.upper()}]", variant="stop", elem_id=elem,
                                visible=False, **small,
                            )  # fmt: skip
                            setattr(self, elem.replace("-", "_"), button)
                self.reason = gr.Radio(
                    REASON_CHOICES, label="Reject reason", elem_id="reject-reason"
                )
                with gr.Row():
                    self.note = gr.Textbox(label="Note (free text)", lines=1, scale=3)
                    self.reject_btn = gr.Button(
                        button_label("r"), variant="stop", elem_id="reject-btn", scale=1
                    )
                with gr.Accordion("Edit the text", open=False, elem_id="edit-text"):
                    self.question = gr.Textbox(label="Question", lines=2)
                    self.references = gr.Textbox(
                        label="References (blank line between two)", lines=4, elem_id="references"
                    )
                    self.options = gr.Textbox(label="Options (one per line)", lines=4)
                    self.answer = gr.Radio(
                        list(OPTION_LETTERS[:2]), label="Correct option", elem_id="answer"
                    )
        self.versions_view = gr.HTML("", elem_id="versions")
        with gr.Row():
            self.version_pick = gr.Dropdown(
                [], label="Settle with version (adjudicator)", elem_id="version-pick",
                visible=False,
            )  # fmt: skip
            self.settle_btn = gr.Button(
                "Settle with this version", elem_id="settle-btn", visible=False
            )
        self.progress = gr.HTML()
        with gr.Accordion("Edit masks", open=False):
            with gr.Row():
                self.mask_slot = gr.Dropdown([], label="Mask to change", elem_id="mask-slot")
                self.instance = gr.Dropdown([], label="Instance of this image")
            with gr.Row():
                self.use_instance_btn = gr.Button("Use this instance")
                self.load_editor_btn = gr.Button(
                    "Load the mask into the editor", elem_id="load-editor"
                )
                self.apply_mask_btn = gr.Button("Use the edited mask", elem_id="apply-mask")
            self.editor = gr.HTML("", elem_id=EDITOR_ID, js_on_load=EDITOR_JS)
            self.painted = gr.Textbox(visible=False)
        with gr.Accordion("Find samples", open=False):
            with gr.Row():
                self.jump_box = gr.Textbox(label="Jump to id (Enter)", elem_id="jump-id", scale=3)
                self.refresh_tables_btn = gr.Button(
                    "Show the table and my history", elem_id="tables"
                )
            self.sample_table_df = gr.Dataframe(
                headers=TABLE_COLUMNS, label="Samples under the filters (click a row to open)",
                interactive=False, show_search="filter", elem_id="sample-table",
            )  # fmt: skip
            self.history_df = gr.Dataframe(
                headers=HISTORY_COLUMNS, label="My last decisions (click a row to reopen)",
                interactive=False, elem_id="history",
            )  # fmt: skip
        with gr.Accordion("Agreement report", open=False):
            self.report_btn = gr.Button("Compute")
            self.report = gr.Markdown()

    @property
    def page(self) -> list[gr.components.Component]:
        return [getattr(self, name) for name in PAGE_OUTPUTS]

    @property
    def filters(self) -> list[gr.Dropdown]:
        return [self.task_filter, self.status_filter, self.category_filter, self.reviewer_filter]
