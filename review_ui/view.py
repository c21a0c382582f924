"""What the reviewer sees of one sample, and the mask edits made in the editor.

API:
  SampleView                 sample (edits applied), image_path (JPEG with overlays),
                             draft_markdown, closeup_path (small prompt region, review_ui.closeup);
                             .image_url / .closeup_url: their URLs (review_ui.images)
  ViewMaker(store, display_dir, cache_size=8, keep=64)
    .prepare(sample_id, edits=None, overlay=True) -> SampleView   (overlay=False: bare image)
    .plan(sample_id, edits=None) -> [url]   the URLs prepare would give (image, close-up), the
                             drawing left for the first to ask (the browser prefetching them)
    .images                  the DisplayImages behind those URLs (review_ui.images)
    .rgb(image_id)           decoded image (H, W, 3) uint8, LRU-cached per image
    .editor_value(sample, slot) -> str   the mask editor (review_ui.mask_editor) for that mask
    .instances(samples)      distinct masks of these samples (same image): [(label, RLE)]
  mask_slots(sample)         editable masks: "<region1>"..., "target 1"..., "new target"
  apply_mask(sample, slot, rle) -> edits dict ({"prompts": ...} or {"targets": ...})
  draft_markdown(sample)     the draft answer as Markdown (tags escaped), headed by the builder's
                             flags (``meta["flags"]``: where a model's draft contradicts the
                             measured attributes) in a warning the reviewer cannot miss

A picture is drawn once per content (image, masks, needs, overlay): ``prepare`` of a sample already
planned and fetched reuses its files. Edits are dicts of Sample fields (the store's ``after``).
Prompts are drawn in ``perbench.render.prompt_color``, targets in ``TARGET_COLOR``, the needs'
annotated instances in ``review_ui.checks.need_color`` (review_ui.overlay: outlines with a
contrasting halo).
"""

from __future__ import annotations

import html
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from perbench.errors import PerBenchError
from perbench.masks import RLE, area, decode
from perbench.render import TARGET_COLOR, load_rgb, prompt_color
from perbench.schema import OPTION_LETTERS, Sample
from perbench.store import CandidateStore
from review_ui.checks import need_color, sample_needs
from review_ui.closeup import closeup, closeup_box
from review_ui.images import DisplayImages, content_key, image_url, key_url
from review_ui.mask_editor import editor_html
from review_ui.overlay import draw_overlay

NEW_TARGET = "new target"
FLAGS_TITLE = "&#9888; The drafter's text contradicts the measured attributes; check it:"


class ReviewEditError(PerBenchError):
    """A mask or text edit that cannot become a valid sample (names the sample and what to fix)."""


@dataclass
class SampleView:
    sample: Sample
    image_path: Path
    draft_markdown: str
    closeup_path: Path | None = None

    @property
    def image_url(self) -> str:
        return image_url(self.image_path)

    @property
    def closeup_url(self) -> str | None:
        return image_url(self.closeup_path) if self.closeup_path else None


def _hex(color: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def escape(text: str) -> str:
    """Text safe to show in Markdown: ``<region1>`` stays visible instead of becoming a tag."""
    return html.escape(text, quote=False)


def draft_markdown(sample: Sample) -> str:
    """The builder's flags, the question's draft answer, the prompt colours and the mask areas,
    as Markdown."""
    lines = []
    flags = sample.meta.get("flags") or []
    if flags:
        lines.append(f"<strong style='color:#b91c1c'>{FLAGS_TITLE}</strong>")
        lines += [f"- <strong>{escape(str(flag))}</strong>" for flag in flags]
    lines.append(f"**Question:** {escape(sample.question)}")
    for index, prompt in enumerate(sample.prompts):
        color = _hex(prompt_color(index))
        lines.append(
            f"<span style='color:{color}'>&#9632;</span> {escape(prompt['tag'])}: "
            f"{area(prompt['mask'])} px"
        )
    if sample.task == "description":
        count = len(sample.references or [])
        lines.append(
            f"**{count} reference description(s)**, as numbered statements below: a number key "
            "marks one false."
        )
    elif sample.task == "mcq":
        lines.append("**Options** (correct one marked):")
        for index, option in enumerate(sample.options or []):
            mark = " **&#10004; correct**" if index == sample.answer else ""
            lines.append(f"- {OPTION_LETTERS[index]}. {escape(option)}{mark}")
    else:
        targets = sample.targets or []
        color = _hex(TARGET_COLOR)
        if targets:
            areas = ", ".join(f"{area(t)} px" for t in targets)
            lines.append(f"<span style='color:{color}'>&#9632;</span> **Target(s):** {areas}")
        else:
            lines.append("**No target**: the text names no object in the image.")
    return "\n\n".join(lines)


def mask_slots(sample: Sample) -> list[str]:
    slots = [p["tag"] for p in sample.prompts]
    if sample.task == "vt_res":
        slots += [f"target {n}" for n in range(1, len(sample.targets or []) + 1)] + [NEW_TARGET]
    return slots


def slot_mask(sample: Sample, slot: str) -> RLE | None:
    """The mask a slot names; None for ``NEW_TARGET``."""
    for prompt in sample.prompts:
        if prompt["tag"] == slot:
            return prompt["mask"]
    if slot.startswith("target ") and sample.targets:
        index = int(slot.split()[1]) - 1
        if 0 <= index < len(sample.targets):
            return sample.targets[index]
    if slot == NEW_TARGET and sample.task == "vt_res":
        return None
    raise ReviewEditError(
        f"sample {sample.id} has no mask {slot!r}; choose one of {mask_slots(sample)}"
    )


def apply_mask(sample: Sample, slot: str, rle: RLE) -> dict[str, Any]:
    """Edits that put ``rle`` into ``slot``; an empty mask removes a target (never a prompt)."""
    slot_mask(sample, slot)
    empty = area(rle) == 0
    if slot.startswith("<"):
        if empty:
            raise ReviewEditError(
                f"sample {sample.id}: the prompt mask {slot} cannot be empty; paint it"
            )
        return {"prompts": [{**p, "mask": rle} if p["tag"] == slot else p for p in sample.prompts]}
    targets = list(sample.targets or [])
    if slot == NEW_TARGET:
        return {"targets": targets if empty else targets + [rle]}
    index = int(slot.split()[1]) - 1
    targets = targets[:index] + ([] if empty else [rle]) + targets[index + 1 :]
    return {"targets": targets}


class ViewMaker:
    """Renders samples for the app: overlays drawn, JPEGs kept by content (DisplayImages)."""

    def __init__(
        self, store: CandidateStore, display_dir: Path, cache_size: int = 8, keep: int = 64
    ):
        self.store = store
        self.images = DisplayImages(display_dir, keep)
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def rgb(self, image_id: str) -> np.ndarray:
        with self._lock:
            if image_id in self._cache:
                self._cache.move_to_end(image_id)
                return self._cache[image_id]
        rgb = load_rgb(self.store.image_bytes(image_id))
        with self._lock:
            self._cache[image_id] = rgb
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return rgb

    def _planned(
        self, sample_id: str, edits: dict[str, Any] | None, overlay: bool
    ) -> tuple[Sample, str, bool]:
        """The sample with ``edits``, the key of its picture (planned) and whether it gets a
        close-up."""
        sample = self.store.candidate(sample_id, with_image=False)
        if edits:
            sample = sample.copy_with(**edits)
        box = closeup_box(sample.prompts, sample.height, sample.width)
        needs = [(need_color(i), n["annotated"]) for i, n in enumerate(sample_needs(sample))]
        key = content_key(
            [
                sample.image_id, sample.height, sample.width, sample.prompts, sample.targets,
                needs, overlay,
            ]
        )  # fmt: skip

        def render() -> dict[str, np.ndarray]:
            rgb = self.rgb(sample.image_id)
            if rgb.shape[:2] != (sample.height, sample.width):
                raise ReviewEditError(
                    f"sample {sample.id}: image is {rgb.shape[1]}x{rgb.shape[0]} but the sample "
                    f"says {sample.width}x{sample.height}; rebuild the candidate"
                )
            shown = draw_overlay(rgb, sample.prompts, sample.targets, needs) if overlay else rgb
            return {"": shown, **({"near": closeup(shown, box)} if box else {})}

        self.images.plan(key, render)
        return sample, key, box is not None

    def plan(self, sample_id: str, edits: dict[str, Any] | None = None) -> list[str]:
        """The URLs ``prepare(sample_id, edits)`` will show; drawn when first asked for."""
        _, key, near = self._planned(sample_id, edits, overlay=True)
        return [key_url(key)] + ([key_url(key, "near")] if near else [])

    def prepare(
        self, sample_id: str, edits: dict[str, Any] | None = None, overlay: bool = True
    ) -> SampleView:
        """The sample with ``edits`` applied, its image on disk (with the prompt and target
        overlay unless ``overlay`` is False), a close-up when the prompts are small
        (review_ui.closeup) and its draft text."""
        sample, key, _ = self._planned(sample_id, edits, overlay)
        files = self.images.files(key)
        return SampleView(sample, files[""], draft_markdown(sample), files.get("near"))

    def editor_value(self, sample: Sample, slot: str) -> str:
        """The mask editor holding the image and ``slot``'s mask (empty for a new target)."""
        mask = slot_mask(sample, slot)
        tags = [p["tag"] for p in sample.prompts]
        color = prompt_color(tags.index(slot)) if slot in tags else TARGET_COLOR
        inside = decode(mask) if mask is not None else None
        return editor_html(self.rgb(sample.image_id), inside, color)

    def instances(self, sample_ids: list[str]) -> list[tuple[str, RLE]]:
        """Distinct prompt and target masks of the given candidates (one image), labelled."""
        found: dict[str, tuple[str, RLE]] = {}
        for sample_id in sample_ids:
            sample = self.store.candidate(sample_id, with_image=False)
            category = sample.meta.get("category") or "object"
            masks = [(p["tag"], p["mask"]) for p in sample.prompts]
            masks += [(f"target {n}", t) for n, t in enumerate(sample.targets or [], start=1)]
            for role, mask in masks:
                label = f"{category if role.startswith('<') else 'target'}, {area(mask)} px"
                found.setdefault(mask["counts"], (f"{label} ({role} of {sample_id})", mask))
        return [(f"#{n} {label}", mask) for n, (label, mask) in enumerate(found.values(), start=1)]
