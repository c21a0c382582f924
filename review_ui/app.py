"""The Gradio 6 Blocks app of the manual check.

API:
  build_app(store, default_reviewer, display_dir, adjudicators=None) -> gr.Blocks
  launch_app(app, host, port, users, display_dir) -> url   serve in the background (login if users)

Endpoints (``api_name``, usable from gradio_client; every one returns the whole page):
  /show                          the reviewer's current sample, under their saved filters
  /filter(task, status, category, reviewer)    also saved for the reviewer's next visit
  /accept(sample_id)  /skip(sample_id)  /undo()
  /overlay(sample_id)            key O: the current image without / again with the overlay
  /edit_accept(sample_id, question, references, options, answer)
  /reject(sample_id, reason, note)
  /use_instance(sample_id, slot, instance)      put an instance of the image into a mask slot
  /load_editor(sample_id, slot)  /apply_mask(sample_id, slot, png)   brush / eraser / polygon
                                 edits (review_ui.mask_editor; ``png`` is the painted mask)
  /settle(sample_id, version)    an adjudicator settles a conflict with a competing version
  /open(sample_id)               open any sample by id (the jump box; table rows open the same way)
  /agreement()                   the agreement report (Markdown)
The reviewer is the logged-in user (``default_reviewer`` when the app runs without login).
Only ``adjudicators`` settle conflicts (None: no roles, anyone may; see review_ui.controller).
A stale page (loaded before a server restart) is told to reload, and to log in again when login
is on (review_ui.guard).
Each reviewer's filters are kept beside the store (review_ui.places) and restored on page load.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict
from pathlib import Path
from typing import Any

import gradio as gr

from perbench.schema import OPTION_LETTERS, TASKS
from perbench.store import CandidateStore
from review_ui.agreement import agreement_report, format_report
from review_ui.auth import check_password, require_auth_off_loopback
from review_ui.controller import REJECT_REASONS, ReviewController, Screen
from review_ui.delta import only_changed
from review_ui.finder import HISTORY_COLUMNS, TABLE_COLUMNS, history
from review_ui.guard import STALE_LOGIN_JS, boot_token, guard
from review_ui.login_limit import LoginLimiter, limited_auth, login_middleware
from review_ui.mask_editor import EDITOR_CSS, EDITOR_ID, EDITOR_JS, READ_MASK_JS, mask_from_png
from review_ui.queue import ALL, STATUS_FILTERS, Filters
from review_ui.shortcuts import SHORTCUTS_JS, button_label
from review_ui.view import escape

CSS = (
    """
.pb-progress { font-size: 0.85em; }
.pb-row { display: flex; gap: 0.6em; align-items: center; margin: 2px 0; }
#sample-image .image-container, #sample-image .image-frame { overflow: hidden; }
.pb-bar { display: flex; width: 240px; height: 10px; background: #eee; overflow: hidden; }
"""
    + EDITOR_CSS
)


def _new_session() -> dict[str, Any]:
    return {"filters": asdict(Filters()), "mask_edits": {}, "sample_id": None}


def build_app(
    store: CandidateStore,
    default_reviewer: str,
    display_dir: Path,
    adjudicators: Collection[str] | None = None,
) -> gr.Blocks:
    """The review page over ``store``; decisions are written to the store as they are made."""
    controller = ReviewController(store, display_dir, adjudicators)

    def reviewer_of(request: gr.Request | None) -> str:
        name = getattr(request, "username", None) if request is not None else None
        return name or default_reviewer

    with gr.Blocks(title="PerBench review", delete_cache=(3600, 3600)) as app:
        session = gr.State(_new_session())
        token = boot_token()
        boot = gr.Textbox(token, visible=False, elem_id="boot")
        with gr.Row():
            task_filter = gr.Dropdown([ALL, *TASKS], value=ALL, label="Task")
            status_filter = gr.Dropdown(
                list(STATUS_FILTERS),
                value=STATUS_FILTERS[0],
                label="Status",
                elem_id="status-filter",
            )
            category_filter = gr.Dropdown([ALL], value=ALL, label="Category")
            reviewer_filter = gr.Dropdown([ALL], value=ALL, label="Decided by")
        progress = gr.HTML()
        with gr.Row():
            with gr.Column(scale=3):
                image = gr.Image(
                    label="Sample",
                    type="filepath",
                    interactive=False,
                    buttons=["fullscreen"],
                    elem_id="sample-image",
                )
                near = gr.Image(
                    label="Close-up of the prompt region (under 1% of the image)",
                    type="filepath",
                    interactive=False,
                    visible=False,
                    elem_id="closeup",
                )
                draft = gr.Markdown()
            with gr.Column(scale=2):
                sample_box = gr.Textbox(label="Sample id", interactive=False, elem_id="sample-id")
                header = gr.Markdown()
                question = gr.Textbox(label="Question", lines=2)
                references = gr.Textbox(label="References (blank line between two)", lines=4)
                options = gr.Textbox(label="Options (one per line)", lines=4)
                answer = gr.Radio(
                    list(OPTION_LETTERS[:2]), label="Correct option", elem_id="answer"
                )
                with gr.Row():
                    accept_btn = gr.Button(
                        button_label("a"), variant="primary", elem_id="accept-btn"
                    )
                    edit_btn = gr.Button(button_label("e"), elem_id="edit-btn")
                    skip_btn = gr.Button(button_label("s"), elem_id="skip-btn")
                    undo_btn = gr.Button(button_label("u"), elem_id="undo-btn")
                    overlay_btn = gr.Button(button_label("o"), elem_id="overlay-btn")
                reason = gr.Radio(
                    [f"{n}. {text}" for n, text in enumerate(REJECT_REASONS, start=1)],
                    label="Reject reason (keys 1-8)",
                    elem_id="reject-reason",
                )
                note = gr.Textbox(label="Note (free text)", lines=1)
                reject_btn = gr.Button(button_label("r"), variant="stop", elem_id="reject-btn")
                message = gr.Markdown(elem_id="message")
        versions_view = gr.HTML("", elem_id="versions")
        with gr.Row():
            version_pick = gr.Dropdown(
                [], label="Settle with version (adjudicator)", elem_id="version-pick"
            )
            settle_btn = gr.Button("Settle with this version", elem_id="settle-btn")
        with gr.Accordion("Edit masks", open=False):
            with gr.Row():
                mask_slot = gr.Dropdown([], label="Mask to change", elem_id="mask-slot")
                instance = gr.Dropdown([], label="Instance of this image")
            with gr.Row():
                use_instance_btn = gr.Button("Use this instance")
                load_editor_btn = gr.Button("Load the mask into the editor", elem_id="load-editor")
                apply_mask_btn = gr.Button("Use the edited mask", elem_id="apply-mask")
            editor = gr.HTML("", elem_id=EDITOR_ID, js_on_load=EDITOR_JS)
            painted = gr.Textbox(visible=False)
        with gr.Accordion("Find samples", open=False):
            with gr.Row():
                jump_box = gr.Textbox(label="Jump to id (Enter)", elem_id="jump-id", scale=3)
                refresh_tables_btn = gr.Button("Show the table and my history", elem_id="tables")
            sample_table_df = gr.Dataframe(
                headers=TABLE_COLUMNS, label="Samples under the filters (click a row to open)",
                interactive=False, show_search="filter", elem_id="sample-table",
            )  # fmt: skip
            history_df = gr.Dataframe(
                headers=HISTORY_COLUMNS, label="My last decisions (click a row to reopen)",
                interactive=False, elem_id="history",
            )  # fmt: skip
        with gr.Accordion("Agreement report", open=False):
            report_btn = gr.Button("Compute")
            report = gr.Markdown()

        page = [
            image, sample_box, header, draft, question, references, options, answer, message,
            progress, mask_slot, instance, task_filter, status_filter, category_filter,
            reviewer_filter, editor, versions_view, version_pick, near, session,
        ]  # fmt: skip

        def render(screen: Screen, state: dict[str, Any]) -> tuple:
            state = {
                **state,
                "sample_id": screen.sample_id,
                "mask_edits": screen.mask_edits,
                "version": screen.version,
                "overlay": True,
            }
            filters = state["filters"]
            chosen = (gr.Dropdown(value=filters["task"]), gr.Dropdown(value=filters["status"]))
            categories = gr.Dropdown([ALL, *screen.categories], value=filters["category"])
            reviewers = gr.Dropdown([ALL, *screen.reviewers], value=filters["reviewer"])
            view = screen.view
            near_path = str(view.closeup_path) if view and view.closeup_path else None
            keys = {
                3: view.draft_markdown if view else "", 12: filters["task"], 13: filters["status"],
                14: (tuple(screen.categories), filters["category"]),
                15: (tuple(screen.reviewers), filters["reviewer"]),
                17: screen.versions_html, 19: near_path,
            }  # fmt: skip
            if view is None:
                hidden = gr.Textbox(value="", visible=False)
                values = (
                    None, "", screen.header, "", gr.Textbox(value=""), hidden, hidden,
                    gr.Radio(visible=False), escape(screen.message), screen.progress_html,
                    gr.Dropdown([], value=None), gr.Dropdown([], value=None),
                    *chosen, categories, reviewers, "", "", gr.Dropdown([], value=None),
                    gr.Image(value=None, visible=False),
                )  # fmt: skip
            else:
                values = page_values(view, screen, state, chosen, categories, reviewers)
            sent, state["shown"] = only_changed(values, keys, state.get("shown", {}))
            return (*sent, state)

        def page_values(view, screen: Screen, state, chosen, categories, reviewers) -> tuple:
            sample = view.sample
            slot = state.get("slot")
            kept_slot = slot if slot in screen.slots else (screen.slots or [None])[0]
            state["slot"] = kept_slot
            letters = list(OPTION_LETTERS[: len(sample.options or [])])
            return (
                str(view.image_path),
                sample.id,
                screen.header,
                view.draft_markdown,
                gr.Textbox(value=sample.question),
                gr.Textbox(
                    value="\n\n".join(sample.references or []), visible=sample.task == "description"
                ),
                gr.Textbox(value="\n".join(sample.options or []), visible=sample.task == "mcq"),
                gr.Radio(
                    letters,
                    value=OPTION_LETTERS[sample.answer] if sample.answer is not None else None,
                    visible=sample.task == "mcq",
                ),
                escape(screen.message),
                screen.progress_html,
                gr.Dropdown(screen.slots, value=kept_slot),
                gr.Dropdown(screen.instances, value=None),
                *chosen,
                categories,
                reviewers,
                "",
                screen.versions_html,
                gr.Dropdown(screen.version_choices, value=None),
                closeup_of(view),
            )

        def closeup_of(view) -> gr.Image:
            path = view.closeup_path
            return gr.Image(value=str(path) if path else None, visible=path is not None)

        on_page = guard(token, page, message)
        on_reject = guard(token, [*page, reason, note], message)
        on_other = guard(token, [], message)

        def filters_of(state: dict[str, Any]) -> Filters:
            return Filters(**state["filters"])

        def own_edits(state: dict[str, Any], sample_id: str) -> dict[str, Any]:
            return state["mask_edits"] if state.get("sample_id") == sample_id else {}

        def seen(state: dict[str, Any], sample_id: str) -> str | None:
            """The version this page showed of ``sample_id`` (what an accept is bound to)."""
            return state.get("version") if state.get("sample_id") == sample_id else None

        @on_page
        def show(state, request: gr.Request):
            reviewer = reviewer_of(request)
            filters, message = controller.saved_filters(reviewer)
            state = {**state, "filters": asdict(filters)}
            return render(controller.screen(reviewer, filters, message=message), state)

        @on_page
        def set_filters(task, status, category, reviewer_name, state, request: gr.Request):
            reviewer = reviewer_of(request)
            chosen = Filters(task, status, category, reviewer_name)
            filters, message = controller.remember_filters(reviewer, chosen)
            state = {**state, "filters": asdict(filters), "shown": {}}  # the page changed them
            return render(controller.screen(reviewer, filters, message=message), state)

        @on_page
        def accept(sample_id, state, request: gr.Request):
            reviewer = reviewer_of(request)
            screen = controller.decide(
                reviewer, filters_of(state), sample_id, "accept",
                seen_version=seen(state, sample_id),
            )  # fmt: skip
            return render(screen, state)

        @on_page
        def skip(sample_id, state, request: gr.Request):
            reviewer = reviewer_of(request)
            return render(controller.decide(reviewer, filters_of(state), sample_id, "skip"), state)

        @on_page
        def undo(state, request: gr.Request):
            reviewer = reviewer_of(request)
            return render(controller.undo(reviewer, filters_of(state)), state)

        @on_page
        def edit_accept(
            sample_id,
            question_text,
            references_text,
            options_text,
            letter,
            state,
            request: gr.Request,
        ):
            reviewer = reviewer_of(request)
            filters = filters_of(state)
            after = controller.form_edits(
                sample_id, question_text, references_text, options_text, letter,
                own_edits(state, sample_id), filters, reviewer,
            )  # fmt: skip
            return render(
                controller.decide(reviewer, filters, sample_id, "edit_accept", after=after), state
            )

        @on_reject
        def reject(sample_id, reason_text, note_text, state, request: gr.Request):
            reviewer = reviewer_of(request)
            reason_name = (reason_text or "").split(". ", 1)[-1] or None
            screen = controller.decide(
                reviewer, filters_of(state), sample_id, "reject", reason=reason_name,
                note=note_text, seen_version=seen(state, sample_id),
            )  # fmt: skip
            return (*render(screen, state), None, "")

        def show_mask_edit(sample_id, slot, state, reviewer, edits, message):
            state = {**state, "slot": slot}
            screen = controller.screen(
                reviewer, filters_of(state), sample_id, message, mask_edits=edits
            )
            return render(screen, state)

        @on_page
        def use_instance(sample_id, slot, instance_label, state, request: gr.Request):
            reviewer = reviewer_of(request)
            filters = filters_of(state)
            mask = controller.instance_mask(sample_id, instance_label or "")
            edits = controller.mask_edit(
                sample_id, slot, mask, own_edits(state, sample_id), filters
            )
            message = f"{slot} now uses {instance_label}; press Edit & accept to record it."
            return show_mask_edit(sample_id, slot, state, reviewer, edits, message)

        @on_other
        def load_editor(sample_id, slot, state):
            return controller.editor_value(
                sample_id, slot, own_edits(state, sample_id), filters_of(state)
            )

        @on_page
        def apply_mask(sample_id, slot, png, state, request: gr.Request):
            reviewer = reviewer_of(request)
            sample = controller.store.candidate(sample_id, with_image=False)
            rle = mask_from_png(png, sample.height, sample.width, sample_id)
            filters = filters_of(state)
            edits = controller.mask_edit(sample_id, slot, rle, own_edits(state, sample_id), filters)
            message = f"{slot} replaced by the edited mask; press Edit & accept to record it."
            return show_mask_edit(sample_id, slot, state, reviewer, edits, message)

        @guard(token, [image, near, message, session], message)
        def toggle_overlay(sample_id, state):
            if not sample_id or state.get("sample_id") != sample_id:
                return gr.skip(), gr.skip(), "", state
            overlay = not state.get("overlay", True)
            view = controller.picture(sample_id, filters_of(state), state["mask_edits"], overlay)
            shown = "" if overlay else "Overlay hidden: press O to show it again."
            near_path = str(view.closeup_path) if view.closeup_path else None
            state = {
                **state,
                "overlay": overlay,
                "shown": {**state.get("shown", {}), 19: near_path},
            }
            return str(view.image_path), closeup_of(view), shown, state

        @on_page
        def settle(sample_id, version, state, request: gr.Request):
            reviewer = reviewer_of(request)
            if not version:
                raise gr.Error("Pick the version that settles this sample first.")
            return render(controller.settle(reviewer, filters_of(state), sample_id, version), state)

        @on_other
        def tables(state, request: gr.Request):
            reviewer = reviewer_of(request)
            return controller.table(reviewer, filters_of(state)), history(store, reviewer)

        def open_sample(sample_id, state, request: gr.Request):
            reviewer = reviewer_of(request)
            sample_id = (sample_id or "").strip()
            store.candidate(sample_id, with_image=False)  # an unknown id is a clear error
            screen = controller.screen(
                reviewer, filters_of(state), sample_id, message=f"Opened {sample_id}."
            )
            return render(screen, state)

        @on_page
        def open_row(state, event: gr.SelectData, request: gr.Request):
            return open_sample(event.row_value[0], state, request)

        @on_other
        def agreement():
            return format_report(agreement_report(store))

        app.load(show, [session, boot], page, api_name="show")
        filters = [task_filter, status_filter, category_filter, reviewer_filter]
        triggers = [dropdown.input for dropdown in filters]
        gr.on(triggers, set_filters, [*filters, session, boot], page, api_name="filter")
        fast = {"queue": False, "show_progress": "hidden"}  # one key, one quick answer
        accept_btn.click(accept, [sample_box, session, boot], page, api_name="accept", **fast)
        skip_btn.click(skip, [sample_box, session, boot], page, api_name="skip", **fast)
        undo_btn.click(undo, [session, boot], page, api_name="undo", **fast)
        overlay_btn.click(
            toggle_overlay,
            [sample_box, session, boot],
            [image, near, message, session],
            api_name="overlay",
        )
        edit_inputs = [sample_box, question, references, options, answer, session, boot]
        edit_btn.click(edit_accept, edit_inputs, page, api_name="edit_accept")
        reject_btn.click(
            reject,
            [sample_box, reason, note, session, boot],
            [*page, reason, note],
            api_name="reject",
        )
        use_instance_btn.click(
            use_instance,
            [sample_box, mask_slot, instance, session, boot],
            page,
            api_name="use_instance",
        )
        load_editor_btn.click(
            load_editor, [sample_box, mask_slot, session, boot], editor, api_name="load_editor"
        )
        apply_mask_btn.click(
            apply_mask,
            [sample_box, mask_slot, painted, session, boot],
            page,
            api_name="apply_mask",
            js=READ_MASK_JS,
        )
        settle_btn.click(settle, [sample_box, version_pick, session, boot], page, api_name="settle")
        refresh_tables_btn.click(tables, [session, boot], [sample_table_df, history_df])
        jump_box.submit(on_page(open_sample), [jump_box, session, boot], page, api_name="open")
        sample_table_df.select(open_row, [session, boot], page)
        history_df.select(open_row, [session, boot], page)
        report_btn.click(agreement, [boot], report, api_name="agreement")
    app.queue(default_concurrency_limit=8)
    return app


def launch_app(
    app: gr.Blocks,
    host: str,
    port: int | None,
    users: dict[str, str],
    display_dir: Path,
) -> str:
    """Serve ``app`` in the background; login required when ``users`` is given. Returns the URL.

    Refuses a non-loopback ``host`` without users or with plain passwords. Logins are
    rate-limited per user and address (review_ui.login_limit). Call ``app.block_thread()`` to
    wait on it.
    """
    require_auth_off_loopback(host, users)
    limiter = LoginLimiter()
    auth = None
    if users:
        auth = limited_auth(limiter, lambda name, password: check_password(users, name, password))
    _, url, _ = app.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        auth_message="PerBench review: log in with your reviewer account.",
        prevent_thread_lock=True,
        allowed_paths=[str(display_dir)],
        quiet=True,
        ssr_mode=False,
        js=f"() => {{ ({SHORTCUTS_JS})(); ({STALE_LOGIN_JS})(); }}",
        css=CSS,
        app_kwargs={"middleware": [login_middleware(limiter)]},
    )
    return url
