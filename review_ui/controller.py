"""The review logic behind the app's buttons, free of Gradio (tested and benchmarked directly).

API:
  ReviewController(store, display_dir, adjudicators=None)   its screens are review_ui.screen.Screen
    .saved_filters(reviewer) -> (Filters, message)   the reviewer's filters saved beside the store
    .remember_filters(reviewer, filters) -> (Filters, message)   check and save them
    .screen(reviewer, filters, sample_id=None, message="", mask_edits=None) -> Screen
    .decide(reviewer, filters, sample_id, decision, after=None, reasons=None, note=None,
            seen_version=None, confirmed=None, false_sentences=None) -> Screen
    .shown_version(sample_id, filters) -> str    the version a plain accept endorses now
    .picture(sample_id, filters, mask_edits, overlay) -> SampleView   redrawn, overlay on/off
    .undo(reviewer, filters) -> Screen
    .form_edits(...), .mask_edit(...), .editor_value(...), .instance_mask(...)   the form and
                                      mask edits (review_ui.editing.Editing)
    .settle(reviewer, filters, sample_id, version_hash) -> Screen   an adjudicator picks a version
    .table(reviewer, filters) -> rows   the samples under the filters, for the finder table

A decision equal to the reviewer's latest live one on the same sample is not written twice
(a double key press records once). In the ``conflict`` filter, an adjudicator's accept and reject
become ``resolve_accept`` / ``resolve_reject``, which settle the sample; anyone else's are recorded
as that reviewer's own ordinary accept or reject (a vote the adjudicator sees; a reviewer who
changes their own vote may end the conflict), and the message says so. ``adjudicators=None``
means no roles (the app without login): every reviewer may settle conflicts.

Every decision is bound to a version (``perbench.review_log.payload_version``): an accept or
reject to the version the page showed (``seen_version``, carried by the page; else the one shown
now), an edit to the version it produces. Accepts of different versions are a conflict.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import asdict
from pathlib import Path
from typing import Any

from perbench.needs import encode_reasons
from perbench.review_log import SampleState, payload_version
from perbench.schema import TASKS
from perbench.store import CandidateStore
from review_ui.adjudication import competing_versions, settle_after, versions_html
from review_ui.checks import refuse_accept
from review_ui.editing import Editing
from review_ui.finder import sample_table
from review_ui.places import PlacesError, SavedFilters
from review_ui.queue import ALL, STATUS_FILTERS, TO_REVIEW, Filters, ReviewQueue
from review_ui.screen import Screen, header_markdown, progress_html
from review_ui.view import ReviewEditError, SampleView, ViewMaker, mask_slots

CHOICES = ("accept", "edit_accept", "reject", "skip")


class ReviewController(Editing):
    """Queue + views + decisions over one candidate store, shared by every session."""

    def __init__(
        self,
        store: CandidateStore,
        display_dir: Path,
        adjudicators: Collection[str] | None = None,
    ):
        self.store = store
        self.queue = ReviewQueue(store)
        self.views = ViewMaker(store, display_dir)
        self.adjudicators = None if adjudicators is None else frozenset(adjudicators)
        self.places = SavedFilters(store.path)
        self._lock = threading.RLock()

    def may_resolve(self, reviewer: str | None) -> bool:
        """Whether ``reviewer`` may settle conflicts: anyone when there are no roles."""
        return self.adjudicators is None or reviewer in self.adjudicators

    # filters ------------------------------------------------------------------------------
    def _checked(self, choices: dict[str, str]) -> tuple[Filters, list[str]]:
        """``choices`` as Filters; a value no longer offered falls back to its default."""
        offered = {
            "task": (ALL, *TASKS),
            "status": STATUS_FILTERS,
            "category": (ALL, *self.queue.categories()),
            "reviewer": (ALL, *self.queue.reviewers()),
        }
        defaults = asdict(Filters())
        kept = {n: v for n, v in choices.items() if n in offered and v in offered[n]}
        dropped = [f"{n} {v!r}" for n, v in choices.items() if n in offered and n not in kept]
        return Filters(**{**defaults, **kept}), dropped

    def saved_filters(self, reviewer: str) -> tuple[Filters, str]:
        """The reviewer's saved filters (defaults if none) and a message on anything dropped."""
        try:
            saved = self.places.load(reviewer)
        except PlacesError as exc:
            return Filters(), f"Saved filters ignored: {exc}"
        if not saved:
            return Filters(), ""
        with self._lock:
            self.queue.refresh()
            filters, dropped = self._checked(saved)
        message = (
            f"Saved filters no longer offered, reset: {', '.join(dropped)}." if dropped else ""
        )
        return filters, message

    def remember_filters(self, reviewer: str, filters: Filters) -> tuple[Filters, str]:
        """Check ``filters`` against the choices offered, save them for the reviewer's reloads."""
        with self._lock:
            self.queue.refresh()
            checked, dropped = self._checked(asdict(filters))
        message = f"Unknown filters reset: {', '.join(dropped)}." if dropped else ""
        try:
            self.places.save(reviewer, asdict(checked))
        except PlacesError as exc:
            message = f"{message} Filters not kept for the next visit: {exc}".strip()
        return checked, message

    # showing ------------------------------------------------------------------------------
    def _resolving(self, filters: Filters, state: SampleState, reviewer: str | None) -> bool:
        in_conflict = filters.status == "conflict" and state.status == "conflict"
        return in_conflict and self.may_resolve(reviewer)

    def _base_edits(self, filters: Filters, state: SampleState) -> dict[str, Any]:
        """Edits already in the log that the form starts from (outside a reviewer's own queue)."""
        return dict(state.edits) if filters.status != TO_REVIEW else {}

    def screen(
        self,
        reviewer: str,
        filters: Filters,
        sample_id: str | None = None,
        message: str = "",
        mask_edits: dict[str, Any] | None = None,
        refresh: bool = True,
    ) -> Screen:
        """The page for ``sample_id`` (default: the reviewer's next sample).

        ``refresh=False`` reuses the queue state of a caller that has just refreshed it.
        """
        with self._lock:
            if refresh:
                self.queue.refresh()
            if sample_id is None:
                sample_id = self.queue.next_id(filters, reviewer)
            remaining = len(self.queue.ordered(Filters(status=TO_REVIEW), reviewer))
            progress = progress_html(self.queue, reviewer, remaining)
            lists = {"categories": self.queue.categories(), "reviewers": self.queue.reviewers()}
            if sample_id is None:
                header = "**Nothing to review under these filters.** Change the filters above."
                return Screen(None, None, header, message, progress, **lists)
            state = self.queue.state(sample_id)
            likely = self._likely_next(filters, reviewer, sample_id)
            likely_edits = self._base_edits(filters, self.queue.state(likely)) if likely else {}
        edits = {**self._base_edits(filters, state), **(mask_edits or {})}
        view = self.views.prepare(sample_id, edits)
        prefetch = self.views.plan(likely, likely_edits) if likely else []
        image_ids = self.queue.ids_of_image(view.sample.image_id)
        instances = [label for label, _ in self.views.instances(image_ids)]
        header = header_markdown(
            view.sample,
            state,
            self.queue,
            self.store.required_accepts,
            filters,
            remaining,
            self._resolving(filters, state, reviewer),
        )
        side_by_side, choices = "", []
        if filters.status == "conflict" and state.status == "conflict":
            draft = self.store.candidate(sample_id, with_image=False)
            versions = competing_versions(draft, state)
            side_by_side = versions_html(versions, draft, self.views.rgb(draft.image_id))
            if self.may_resolve(reviewer):
                choices = [(v.label, v.hash) for v in versions if v.sample is not None]
        return Screen(
            sample_id, view, header, message, progress, mask_slots(view.sample), instances,
            mask_edits=dict(mask_edits or {}), version=self._version(sample_id, filters, state),
            versions_html=side_by_side, version_choices=choices, prefetch=prefetch, **lists,
        )  # fmt: skip

    def _likely_next(self, filters: Filters, reviewer: str, sample_id: str) -> str | None:
        """The sample ``decide`` will most likely show after ``sample_id`` (to prefetch it).

        Only a guess: ``decide`` asks the queue again, so another reviewer's decision in
        between changes what is shown, never to a wrong sample (the prefetch is then unused).
        """
        if filters.status == TO_REVIEW:
            ids = self.queue.ordered(filters, reviewer)
            return next((other for other in ids if other != sample_id), None)
        likely = self.queue.next_id(filters, reviewer, after=sample_id)
        return likely if likely != sample_id else None

    def picture(
        self, sample_id: str, filters: Filters, mask_edits: dict[str, Any], overlay: bool
    ) -> SampleView:
        """The sample as ``screen`` shows it, drawn with or without the overlay (key O)."""
        edits = {**self._base_edits(filters, self.queue.state(sample_id)), **mask_edits}
        return self.views.prepare(sample_id, edits, overlay=overlay)

    def _version(self, sample_id: str, filters: Filters, state: SampleState) -> str:
        draft = self.store.candidate(sample_id, with_image=False)
        edits = self._base_edits(filters, state)
        return payload_version((draft.copy_with(**edits) if edits else draft).to_dict())

    def shown_version(self, sample_id: str, filters: Filters) -> str:
        """The version a plain accept of ``sample_id`` endorses under ``filters`` right now."""
        return self._version(sample_id, filters, self.store.state(sample_id))

    # deciding -----------------------------------------------------------------------------
    def _latest_own(self, sample_id: str, reviewer: str):
        log = self.store.decisions(sample_id)
        undone = {d.undoes for d in log if d.decision == "undo"}
        own = [
            d
            for d in log
            if d.reviewer == reviewer and d.decision != "undo" and d.seq not in undone
        ]
        return own[-1] if own else None

    def decide(
        self,
        reviewer: str,
        filters: Filters,
        sample_id: str,
        decision: str,
        after: dict[str, Any] | None = None,
        reasons: list[dict[str, Any]] | None = None,
        note: str | None = None,
        seen_version: str | None = None,
        confirmed: list[str] | None = None,
        false_sentences: list[int] | None = None,
    ) -> Screen:
        """Record ``decision`` (accept, edit_accept, reject, skip) and show the next sample.

        ``reasons``: structured reasons (perbench.needs; a reject needs one), stored encoded in
        the log's ``reason`` column. ``seen_version``: the version the page showed (an accept or
        reject is bound to it). An accept or edit (not an adjudicator's resolution) is refused
        while a need of the sample is not in ``confirmed`` (answered "no") or a statement is in
        ``false_sentences`` (review_ui.checks.refuse_accept).
        """
        if decision not in CHOICES:
            raise ReviewEditError(f"unknown decision {decision!r}; use one of {CHOICES}")
        if not sample_id:
            raise ReviewEditError("no sample is shown; change the filters to get one")
        if decision == "reject" and not reasons:
            raise ReviewEditError(f"sample {sample_id}: pick a reject reason before rejecting")
        reason = encode_reasons(reasons)  # as the log stores it: a repeat compares equal
        with self._lock:
            state = self.store.state(sample_id)
            if decision == "edit_accept" and not after:
                decision = "accept"
            resolving = self._resolving(filters, state, reviewer)
            if decision in ("accept", "edit_accept") and not resolving:
                draft = self.store.candidate(sample_id, with_image=False)
                refuse_accept(draft, confirmed, false_sentences)
            if resolving and decision != "skip":
                decision = "resolve_reject" if decision == "reject" else "resolve_accept"
            note = (note or "").strip() or None
            version = None  # an edit: the store hashes the version it produces
            if not after:
                version = seen_version or self._version(sample_id, filters, state)
            latest = self._latest_own(sample_id, reviewer)
            wanted = (decision, after or None, reason, note, version)
            repeated = (
                latest is not None
                and wanted[:4]
                == (
                    latest.decision,
                    latest.after,
                    latest.reason,
                    latest.note,
                )
                and version in (None, latest.version)
            )
            if not repeated:
                self.store.record(
                    sample_id, reviewer, decision, after=after or None, reasons=reasons or None,
                    note=note, version=version,
                )  # fmt: skip
            self.queue.refresh()
            message = (
                f"{'Already recorded' if repeated else 'Recorded'}: {decision} of {sample_id}."
            )
            new_state = self.queue.state(sample_id)
            if state.status == "conflict" and not resolving and decision != "skip":
                message += (
                    f" Only an adjudicator settles a conflict: this is your own {decision}, "
                    f"and the sample is now {new_state.status}."
                )
            if new_state.status == "conflict":
                several = len(new_state.versions) > 1
                message += (
                    f" **Conflict:** accepted by {', '.join(new_state.accepted_by) or 'nobody'}"
                    f"{' (different versions)' if several else ''}, rejected by "
                    f"{', '.join(new_state.rejected_by) or 'nobody'}; it waits in the conflict "
                    "queue."
                )
            next_id = self.queue.next_id(filters, reviewer, after=sample_id)
        return self.screen(reviewer, filters, next_id, message, refresh=False)

    def undo(self, reviewer: str, filters: Filters) -> Screen:
        """Cancel the reviewer's latest live decision and show that sample again."""
        with self._lock:
            target = self.store.undo_last(reviewer)
        if target is None:
            return self.screen(reviewer, filters, message="Nothing to undo.")
        message = f"Undid your {target.decision} of {target.sample_id}."
        return self.screen(reviewer, filters, target.sample_id, message)

    def table(self, reviewer: str, filters: Filters) -> list[list[str]]:
        """The rows of the samples under ``filters`` (review_ui.finder.sample_table)."""
        with self._lock:
            self.queue.refresh()
            return sample_table(self.queue, filters, reviewer)

    def settle(self, reviewer: str, filters: Filters, sample_id: str, version: str) -> Screen:
        """An adjudicator settles a conflict with one of its competing versions (by hash)."""
        state = self.store.state(sample_id)
        if not self._resolving(filters, state, reviewer):
            raise ReviewEditError(
                f"sample {sample_id}: only an adjudicator settles a conflict, from the conflict "
                "filter"
            )
        draft = self.store.candidate(sample_id, with_image=False)
        chosen = [v for v in competing_versions(draft, state) if v.hash == version]
        if not chosen or chosen[0].sample is None:
            raise ReviewEditError(
                f"sample {sample_id}: version {version!r} is not one of its competing versions; "
                "reload the page"
            )
        after = settle_after(draft, state, chosen[0])
        return self.decide(
            reviewer, filters, sample_id, "edit_accept", after=after, seen_version=version
        )
