"""The adjudication view: a conflict's competing versions side by side.

API:
  Version                      hash, sample (the payload), reviewers who accepted it, colour,
                               is_draft; .label names it by reviewer ("alice's edit · <hash>")
  competing_versions(draft, state) -> list[Version]   the draft and every accepted version
  versions_html(versions, rgb) -> str    one column per version (text diff against the draft
                               highlighted, options with the answer and changes marked), the
                               photo with each version's masks outlined in its colour, and the
                               pairwise IoU of targets and prompt masks
  settle_after(draft, state, chosen) -> dict   the ``after`` of a resolution to ``chosen``

A plain accept names its version only by hash; the payload is found among the draft and the
logged edits (a hash found nowhere is listed as unknown).
"""

from __future__ import annotations

import base64
import difflib
import html
import io
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
from PIL import Image

from perbench.masks import decode, iou, union_rle
from perbench.render import _outline
from perbench.review_log import SampleState, payload_version
from perbench.schema import OPTION_LETTERS, Sample
from perbench.store import EDITABLE_FIELDS

VERSION_COLORS = [(230, 25, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (60, 180, 75)]
SHOWN_WIDTH = 720


@dataclass
class Version:
    hash: str
    sample: Sample | None
    reviewers: list[str] = field(default_factory=list)
    color: tuple[int, int, int] = (0, 0, 0)
    is_draft: bool = False

    @property
    def label(self) -> str:
        """Who accepted it, whether it is the draft, then its short hash:
        ``alice's edit · 1a2b3c4d5e`` / ``bob: the draft · 0f9e8d7c6b``."""
        who = ", ".join(self.reviewers) or "nobody"
        kind = ": the draft" if self.is_draft else "'s edit"
        return f"{who}{kind} · {self.hash[:10]}"


def competing_versions(draft: Sample, state: SampleState) -> list[Version]:
    """The versions accepted in ``state`` (reviewers' latest accepts), draft first if accepted."""
    draft_hash = payload_version(draft.to_dict())
    known = {draft_hash: draft}
    for entry in state.live_decisions:
        if entry.after:
            edited = draft.copy_with(**entry.after)
            known[payload_version(edited.to_dict())] = edited
    versions = []
    for index, (digest, reviewers) in enumerate(sorted(state.versions.items())):
        color = VERSION_COLORS[index % len(VERSION_COLORS)]
        found = known.get(digest)
        versions.append(
            Version(digest, found, sorted(reviewers), color, is_draft=digest == draft_hash)
        )
    return versions


def settle_after(draft: Sample, state: SampleState, chosen: Version) -> dict[str, Any]:
    """Fields of ``chosen`` that differ from the draft, plus every logged edit it reverts."""
    if chosen.sample is None:
        raise ValueError(f"version {chosen.hash[:10]} is not in the log")
    after = {
        name: getattr(chosen.sample, name)
        for name in EDITABLE_FIELDS
        if getattr(chosen.sample, name) != getattr(draft, name)
    }
    after.update({name: getattr(draft, name) for name in state.edits if name not in after})
    return after


def _word_diff(old: str, new: str) -> str:
    """``new`` as HTML, words not in ``old`` highlighted and removed words struck through."""
    a, b = (old or "").split(), (new or "").split()
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b).get_opcodes():
        if op in ("delete", "replace"):
            parts.append(f"<del class='pb-del'>{html.escape(' '.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            parts.append(f"<ins class='pb-ins'>{html.escape(' '.join(b[j1:j2]))}</ins>")
        if op == "equal":
            parts.append(html.escape(" ".join(a[i1:i2])))
    return " ".join(parts)


def _column(version: Version, draft: Sample) -> str:
    hex_color = "#{:02x}{:02x}{:02x}".format(*version.color)
    rows = [f"<h4 style='color:{hex_color}'>&#9632; {html.escape(version.label)}</h4>"]
    if version.is_draft:
        rows.append("<p class='pb-draft-mark'>The builder's draft, unchanged</p>")
    sample = version.sample
    if sample is None:
        return "".join(rows) + "<p>(payload not in the log)</p>"
    rows.append(f"<p><b>Question:</b> {_word_diff(draft.question, sample.question)}</p>")
    for n, text in enumerate(sample.references or [], start=1):
        old = (draft.references or [""] * n)[n - 1] if len(draft.references or []) >= n else ""
        rows.append(f"<p><b>Reference {n}:</b> {_word_diff(old, text)}</p>")
    if sample.task == "mcq":
        items = []
        for index, option in enumerate(sample.options or []):
            old = (draft.options or [])[index] if index < len(draft.options or []) else ""
            mark = " <b class='pb-answer'>&#10004; answer</b>" if index == sample.answer else ""
            moved = " (answer changed)" if mark and sample.answer != draft.answer else ""
            text = _word_diff(old, option)
            items.append(f"<li>{OPTION_LETTERS[index]}. {text}{mark}{moved}</li>")
        rows.append("<ul>" + "".join(items) + "</ul>")
    return "".join(rows)


def _masks_image(versions: list[Version], rgb: np.ndarray) -> str:
    """The photo with every version's masks outlined in its colour, as a JPEG data URL."""
    shown = rgb.copy()
    thickness = max(2, rgb.shape[1] // 300)
    for version in versions:
        if version.sample is None:
            continue
        masks = [p["mask"] for p in version.sample.prompts] + list(version.sample.targets or [])
        for mask in masks:
            shown[_outline(decode(mask).astype(bool), thickness)] = version.color
    image = Image.fromarray(shown)
    if image.width > SHOWN_WIDTH:
        image = image.resize((SHOWN_WIDTH, round(image.height * SHOWN_WIDTH / image.width)))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def _ious(versions: list[Version]) -> list[str]:
    rows = []
    found = [v for v in versions if v.sample is not None]
    for first, second in combinations(found, 2):
        a, b = first.sample, second.sample
        parts = []
        if a.task == "vt_res":
            ta = union_rle(a.targets or [], a.height, a.width)
            tb = union_rle(b.targets or [], b.height, b.width)
            parts.append(f"targets {iou(ta, tb):.3f}")
        masks_b = {p["tag"]: p["mask"] for p in b.prompts}
        for prompt in a.prompts:
            if prompt["tag"] in masks_b:
                value = iou(prompt["mask"], masks_b[prompt["tag"]])
                parts.append(f"{html.escape(prompt['tag'])} {value:.3f}")
        rows.append(
            f"<li>{html.escape(first.label)} vs {html.escape(second.label)}: "
            f"{', '.join(parts)}</li>"
        )
    return rows


def versions_html(versions: list[Version], draft: Sample, rgb: np.ndarray) -> str:
    """The side-by-side view of ``versions`` (empty string when fewer than two)."""
    if len(versions) < 2:
        return ""
    columns = "".join(f"<div class='pb-version'>{_column(v, draft)}</div>" for v in versions)
    ious = "".join(_ious(versions))
    return (
        "<div class='pb-adjudication'><h3>Competing versions</h3>"
        f"<div class='pb-versions'>{columns}</div>"
        f"<img class='pb-version-masks' alt='masks of each version' "
        f"src='{_masks_image(versions, rgb)}'>"
        f"<p><b>Mask IoU between versions:</b></p><ul class='pb-ious'>{ious}</ul></div>"
    )


ADJUDICATION_CSS = """
.pb-versions { display: flex; gap: 1em; }
.pb-version { flex: 1; border: 1px solid #ccc; padding: 0.5em; }
.pb-ins { background: #c8f7c5; text-decoration: none; }
.pb-del { background: #f7c5c5; }
.pb-version-masks { max-width: 100%; }
.pb-draft-mark { display: inline-block; background: #e5e7eb; padding: 0 6px; font-weight: 600; }
"""
