"""The Gradio 6 Blocks app of the manual check.

API:
  build_app(store, default_reviewer, display_dir, adjudicators=None, key_delay_ms=200)
  launch_app(app, host, port, users, display_dir) -> url   serve in the background (login if users)

The page's components are laid out by review_ui.layout; every page event returns the outputs
review_ui.render makes of a review_ui.controller.Screen. The sample image and its close-up are
<img> tags whose URLs name their content (review_ui.images, served by launch_app behind the same
login, browser-cacheable); each page also loads the likely next sample's images, hidden, so the
next key shows them from the cache.

Endpoints (``api_name``, usable from gradio_client; every one returns the whole page):
  /show                          the reviewer's current sample, under their saved filters
  /filter(task, status, category, reviewer)    also saved for the reviewer's next visit
  /accept(sample_id, confirmed, false_sentences)   refused while a need is not in ``confirmed``
                                 (answered no) or a statement is marked false
  /skip(sample_id)  /undo()
  /overlay(sample_id)            key O: the current image without / again with the overlay
  /edit_accept(sample_id, question, references, options, answer, confirmed, false_sentences,
               reason, note)     records the reasons (review_ui.checks.edit_reasons)
  /reject(sample_id, false_sentences, reason, note)   a reason code and/or false statements
  /need_yes(sample_id, confirmed)   "yes" to the first unanswered need: reject, its reason
  /reject_wrong_answer(sample_id)  /reject_wrong_target(sample_id)
  /reject_needs_no_prompt(sample_id)   the one-key rejects (review_ui.checks.QUICK_REJECTS)
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

from perbench.store import CandidateStore
from review_ui.agreement import agreement_report, format_report
from review_ui.auth import check_password, require_auth_off_loopback
from review_ui.checks import (
    QUICK_REJECTS,
    ReviewCheckError,
    edit_reasons,
    need_reason,
    reject_reasons,
)
from review_ui.controller import ReviewController
from review_ui.finder import history
from review_ui.guard import STALE_LOGIN_JS, boot_token, guard
from review_ui.images import FETCH_AHEAD_JS, image_route
from review_ui.key_gate import DEFAULT_KEY_DELAY_MS, key_gate_js
from review_ui.layout import CSS, Layout
from review_ui.login_limit import LoginGuard, login_middleware
from review_ui.mask_editor import READ_MASK_JS, mask_from_png
from review_ui.queue import Filters
from review_ui.render import PAGE_OUTPUTS, closeup_html, picture_html, render
from review_ui.shortcuts import SHORTCUTS_JS
from review_ui.view import ReviewEditError, escape


def build_app(
    store: CandidateStore,
    default_reviewer: str,
    display_dir: Path,
    adjudicators: Collection[str] | None = None,
    key_delay_ms: int = DEFAULT_KEY_DELAY_MS,
) -> gr.Blocks:
    """The review page over ``store``; decisions are written to the store as they are made.

    ``key_delay_ms``: a key acts on a sample only once its image has been drawn that long
    (review_ui.key_gate)."""
    controller = ReviewController(store, display_dir, adjudicators)

    def reviewer_of(request: gr.Request | None) -> str:
        name = getattr(request, "username", None) if request is not None else None
        return name or default_reviewer

    with gr.Blocks(title="PerBench review", delete_cache=(3600, 3600)) as app:
        token = boot_token()
        ui = Layout(token)

        page = ui.page
        on_page = guard(token, page, ui.message)
        on_reject = guard(token, [*page, ui.reason, ui.note], ui.message)
        on_other = guard(token, [], ui.message)

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
            state = {**state, "filters": asdict(filters)}
            return render(controller.screen(reviewer, filters, message=message), state)

        def draft_of(sample_id: str):
            if not sample_id:
                raise ReviewEditError("no sample is shown; change the filters to get one")
            return store.candidate(sample_id, with_image=False)

        def refused(error: ReviewCheckError, extra: int = 0) -> tuple:
            """The page as it is (answers kept), the refusal in the message box."""
            shown = f"**Not recorded:** {escape(str(error))}"
            return tuple(shown if name == "message" else gr.skip() for name in PAGE_OUTPUTS) + (
                (gr.skip(),) * extra
            )

        @on_page
        def accept(sample_id, confirmed, false_sentences, state, request: gr.Request):
            reviewer = reviewer_of(request)
            try:
                screen = controller.decide(
                    reviewer, filters_of(state), sample_id, "accept",
                    seen_version=seen(state, sample_id), confirmed=confirmed,
                    false_sentences=false_sentences,
                )  # fmt: skip
            except ReviewCheckError as error:
                return refused(error)
            return render(screen, state)

        def reject_with(sample_id, reasons, note, state, request):
            reviewer = reviewer_of(request)
            screen = controller.decide(
                reviewer, filters_of(state), sample_id, "reject", reasons=reasons, note=note,
                seen_version=seen(state, sample_id),
            )  # fmt: skip
            return render(screen, state)

        @on_page
        def need_yes(sample_id, confirmed, state, request: gr.Request):
            reasons = [need_reason(draft_of(sample_id), confirmed)]
            return reject_with(sample_id, reasons, None, state, request)

        def quick_reject(code: str):
            @on_page
            def run(sample_id, state, request: gr.Request):
                draft_of(sample_id)
                return reject_with(sample_id, [{"code": code}], None, state, request)

            return run

        @on_page
        def skip(sample_id, state, request: gr.Request):
            reviewer = reviewer_of(request)
            return render(controller.decide(reviewer, filters_of(state), sample_id, "skip"), state)

        @on_page
        def undo(state, request: gr.Request):
            reviewer = reviewer_of(request)
            return render(controller.undo(reviewer, filters_of(state)), state)

        def edit_accept(
            sample_id,
            question_text,
            references_text,
            options_text,
            letter,
            confirmed,
            false_sentences,
            reason_code,
            note_text,
            state,
            request: gr.Request,
        ):
            reviewer = reviewer_of(request)
            filters = filters_of(state)
            after = controller.form_edits(
                sample_id, question_text, references_text, options_text, letter,
                own_edits(state, sample_id), filters, reviewer,
            )  # fmt: skip
            if not after and false_sentences:
                return refused(
                    ReviewCheckError(
                        f"sample {sample_id}: a statement is marked false but the text is "
                        'unchanged: correct it under "Edit the text", or reject with R'
                    ),
                    extra=2,
                )
            # statements are numbered in the draft (what the reviewer's own queue shows)
            draft = draft_of(sample_id)
            reasons = edit_reasons(draft, after, false_sentences, reason_code, note_text)
            try:
                screen = controller.decide(
                    reviewer, filters, sample_id, "edit_accept", after=after, reasons=reasons,
                    note=note_text, confirmed=confirmed, false_sentences=None,
                )  # fmt: skip
            except ReviewCheckError as error:
                return refused(error, extra=2)
            return (*render(screen, state), None, "")

        @on_reject
        def reject(sample_id, false_sentences, reason_code, note_text, state, request: gr.Request):
            sample = draft_of(sample_id)
            reasons = reject_reasons(sample, false_sentences, reason_code, note_text)
            return (*reject_with(sample_id, reasons, note_text, state, request), None, "")

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

        @guard(token, [ui.image, ui.near, ui.message, ui.session], ui.message)
        def toggle_overlay(sample_id, state):
            if not sample_id or state.get("sample_id") != sample_id:
                return gr.skip(), gr.skip(), "", state
            overlay = not state.get("overlay", True)
            view = controller.picture(sample_id, filters_of(state), state["mask_edits"], overlay)
            shown = "" if overlay else "Overlay hidden: press O to show it again."
            state = {**state, "overlay": overlay}
            return picture_html(view.image_url, []), closeup_html(view.closeup_url), shown, state

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

        app.load(show, [ui.session, ui.boot], page, api_name="show")
        triggers = [dropdown.input for dropdown in ui.filters]
        gr.on(triggers, set_filters, [*ui.filters, ui.session, ui.boot], page, api_name="filter")
        fast = {"queue": False, "show_progress": "hidden"}  # one key, one quick answer
        ui.accept_btn.click(
            accept,
            [ui.sample_box, ui.needs_ok, ui.false_sentences, ui.session, ui.boot],
            page,
            api_name="accept",
            **fast,
        )
        ui.need_yes_btn.click(
            need_yes, [ui.sample_box, ui.needs_ok, ui.session, ui.boot], page,
            api_name="need_yes", **fast,
        )  # fmt: skip
        for rejects in QUICK_REJECTS.values():
            for _, code, _, elem in rejects:
                getattr(ui, elem.replace("-", "_")).click(
                    quick_reject(code), [ui.sample_box, ui.session, ui.boot], page,
                    api_name=elem.replace("-", "_"), **fast,
                )  # fmt: skip
        ui.skip_btn.click(skip, [ui.sample_box, ui.session, ui.boot], page, api_name="skip", **fast)
        ui.undo_btn.click(undo, [ui.session, ui.boot], page, api_name="undo", **fast)
        ui.overlay_btn.click(
            toggle_overlay,
            [ui.sample_box, ui.session, ui.boot],
            [ui.image, ui.near, ui.message, ui.session],
            api_name="overlay",
        )
        edit_inputs = [
            ui.sample_box,
            ui.question,
            ui.references,
            ui.options,
            ui.answer,
            ui.needs_ok,
            ui.false_sentences,
            ui.reason,
            ui.note,
            ui.session,
            ui.boot,
        ]
        ui.edit_btn.click(
            on_reject(edit_accept), edit_inputs, [*page, ui.reason, ui.note],
            api_name="edit_accept",
        )  # fmt: skip
        ui.reject_btn.click(
            reject,
            [ui.sample_box, ui.false_sentences, ui.reason, ui.note, ui.session, ui.boot],
            [*page, ui.reason, ui.note],
            api_name="reject",
        )
        ui.use_instance_btn.click(
            use_instance,
            [ui.sample_box, ui.mask_slot, ui.instance, ui.session, ui.boot],
            page,
            api_name="use_instance",
        )
        ui.load_editor_btn.click(
            load_editor,
            [ui.sample_box, ui.mask_slot, ui.session, ui.boot],
            ui.editor,
            api_name="load_editor",
        )
        ui.apply_mask_btn.click(
            apply_mask,
            [ui.sample_box, ui.mask_slot, ui.painted, ui.session, ui.boot],
            page,
            api_name="apply_mask",
            js=READ_MASK_JS,
        )
        ui.settle_btn.click(
            settle, [ui.sample_box, ui.version_pick, ui.session, ui.boot], page, api_name="settle"
        )
        ui.refresh_tables_btn.click(
            tables, [ui.session, ui.boot], [ui.sample_table_df, ui.history_df]
        )
        ui.jump_box.submit(
            on_page(open_sample), [ui.jump_box, ui.session, ui.boot], page, api_name="open"
        )
        ui.sample_table_df.select(open_row, [ui.session, ui.boot], page)
        ui.history_df.select(open_row, [ui.session, ui.boot], page)
        ui.report_btn.click(agreement, [ui.boot], ui.report, api_name="agreement")
    app.queue(default_concurrency_limit=8)
    app.review_images = controller.views.images  # served by launch_app's image route
    app.review_key_delay_ms = key_delay_ms
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
    rate-limited per (address, user) and per address (review_ui.login_limit). Call
    ``app.block_thread()`` to wait on it.
    """
    require_auth_off_loopback(host, users)
    delay_ms = getattr(app, "review_key_delay_ms", DEFAULT_KEY_DELAY_MS)  # other apps: default
    guard = LoginGuard()
    auth = None
    if users:
        auth = lambda name, password: check_password(users, name, password)  # noqa: E731
    _, url, _ = app.launch(
        server_name=host,
        server_port=port,
        auth=auth,
        auth_message="PerBench review: log in with your reviewer account.",
        prevent_thread_lock=True,
        allowed_paths=[str(display_dir)],
        quiet=True,
        ssr_mode=False,
        js=(
            f"() => {{ ({key_gate_js(delay_ms)})(); ({SHORTCUTS_JS})(); "
            f"({STALE_LOGIN_JS})(); ({FETCH_AHEAD_JS})(); }}"
        ),
        css=CSS,
        app_kwargs={
            "middleware": [login_middleware(guard)],
            "routes": [image_route(app.review_images)],
        },
    )
    return url
