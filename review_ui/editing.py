"""The form and mask edits of the review app: what a reviewer changed, as the store's ``after``.

API:
  split_paragraphs(text) -> [str]     paragraphs separated by blank lines (the references box)
  Editing                             mixed into review_ui.controller.ReviewController:
    .form_edits(sample_id, question, references, options, answer, mask_edits, filters,
                reviewer=None) -> dict
    .mask_edit(sample_id, slot, rle, mask_edits, filters) -> dict     (new mask edits)
    .editor_value(sample_id, slot, mask_edits, filters) -> str        the mask editor's HTML
    .instance_mask(sample_id, label) -> RLE

An edit starts from the draft plus the edits already in the log outside the reviewer's own queue
(``_base_edits``) plus the page's unsaved mask edits. The class relies on the controller's
``store``, ``queue``, ``views``, ``_base_edits`` and ``_resolving``.
"""

from __future__ import annotations

import re
from typing import Any

from perbench.masks import RLE
from perbench.schema import OPTION_LETTERS, Sample
from perbench.store import CandidateStore
from review_ui.queue import Filters, ReviewQueue
from review_ui.view import ReviewEditError, ViewMaker, apply_mask


def split_paragraphs(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"\n\s*\n", text or "") if part.strip()]


class Editing:
    """Edit methods of ReviewController (see the module docstring)."""

    store: CandidateStore
    queue: ReviewQueue
    views: ViewMaker

    def _editable(self, sample_id: str, filters: Filters, mask_edits: dict[str, Any]) -> Sample:
        draft = self.store.candidate(sample_id, with_image=False)
        edits = {**self._base_edits(filters, self.queue.state(sample_id)), **mask_edits}
        return draft.copy_with(**edits) if edits else draft

    def form_edits(
        self,
        sample_id: str,
        question: str,
        references: str,
        options: str,
        answer: str | None,
        mask_edits: dict[str, Any],
        filters: Filters,
        reviewer: str | None = None,
    ) -> dict[str, Any]:
        """The fields that differ from the draft (the store's ``after``) given the form's texts.

        When ``reviewer`` settles a conflict, ``after`` also names every logged edit it reverts.
        """
        draft = self.store.candidate(sample_id, with_image=False)
        proposed: dict[str, Any] = {"question": (question or "").strip(), **mask_edits}
        if draft.task == "description":
            proposed["references"] = split_paragraphs(references)
        elif draft.task == "mcq":
            proposed["options"] = [
                line.strip() for line in (options or "").splitlines() if line.strip()
            ]
            letter = (answer or "").strip().upper()
            if len(letter) != 1 or letter not in OPTION_LETTERS[: len(proposed["options"])]:
                raise ReviewEditError(
                    f"sample {sample_id}: the correct option {answer!r} is not one of the "
                    f"{len(proposed['options'])} options; pick a letter"
                )
            proposed["answer"] = OPTION_LETTERS.index(letter)
        after = {name: value for name, value in proposed.items() if value != getattr(draft, name)}
        state = self.queue.state(sample_id)
        if self._resolving(filters, state, reviewer):
            # a resolution must name every field it keeps at the draft, or the log's edit wins
            after.update({name: getattr(draft, name) for name in state.edits if name not in after})
        return after

    def mask_edit(
        self, sample_id: str, slot: str, rle: RLE, mask_edits: dict[str, Any], filters: Filters
    ) -> dict[str, Any]:
        """``mask_edits`` with ``slot`` replaced by ``rle`` (validated against the image size)."""
        sample = self._editable(sample_id, filters, mask_edits)
        if list(rle["size"]) != [sample.height, sample.width]:
            raise ReviewEditError(
                f"sample {sample_id}: mask size {rle['size']} differs from the image "
                f"[{sample.height}, {sample.width}]"
            )
        return {**mask_edits, **apply_mask(sample, slot, rle)}

    def editor_value(self, sample_id: str, slot: str, mask_edits: dict[str, Any], filters: Filters):
        return self.views.editor_value(self._editable(sample_id, filters, mask_edits), slot)

    def instance_mask(self, sample_id: str, label: str) -> RLE:
        image_id = self.store.candidate(sample_id, with_image=False).image_id
        for name, mask in self.views.instances(self.queue.ids_of_image(image_id)):
            if name == label:
                return mask
        raise ReviewEditError(f"sample {sample_id}: no instance {label!r} on its image")
