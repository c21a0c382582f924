"""What a reviewer must check before accepting, and the structured reasons a decision records.

API:
  NEED_COLORS                   outline colour of each need's annotated instances (need order)
  REASON_CHOICES                [(label, code)] of the reasons radio (perbench.needs.REASON_CODES)
  QUICK_REJECTS                 {task: [(key, code, label, elem_id)]}: one-key rejects of a task
  sample_needs(sample) -> [need]          ``meta["needs"]``, validated (names the sample)
  need_color(index) -> (r, g, b)
  needs_html(needs) -> str      per need: its colour, "N annotated", the question and the keys
  need_choices(needs) -> [(label, id)]    the "answered no" boxes
  sentence_choices(sample) -> [(label, index)]   a description's statements, numbered from 1
  unanswered(sample, confirmed) -> [need]        needs not yet answered "no"
  refuse_accept(sample, confirmed, false_sentences)   ReviewCheckError while a need is unanswered
                                or a statement is marked false (ReviewCheckError says what to do)
  need_reason(sample, confirmed) -> reason       what a "yes" to the first unanswered need records
  reject_reasons(sample, false_sentences, code, note) -> [reason]
  edit_reasons(sample, after, false_sentences, code, note) -> [reason]

Reasons are perbench.needs reason dicts; a statement's ``sentence`` is its 0-based index in
perbench.sentences.description_sentences. An edit without a chosen reason or a false statement
records the reasons its changes imply (targets: wrong-target, prompts: bad-mask, answer:
wrong-answer, texts: bad-wording).
"""

from __future__ import annotations

import html
from typing import Any

from perbench.errors import PerBenchError
from perbench.needs import REASON_CODES, validate_needs
from perbench.schema import Sample
from perbench.sentences import description_sentences

NEED_COLORS = [(255, 140, 0), (255, 20, 147), (255, 255, 255), (139, 69, 19)]
REASON_CHOICES = [(f"{code}: {label}", code) for code, label in REASON_CODES.items()]
QUICK_REJECTS = {
    "mcq": [("w", "wrong-answer", "Another option is also right", "reject-wrong-answer")],
    "vt_res": [
        ("t", "wrong-target", "Wrong targets", "reject-wrong-target"),
        ("p", "needs-no-prompt", "Needs no prompt", "reject-needs-no-prompt"),
    ],
}


class ReviewCheckError(PerBenchError):
    """A decision the checks refuse (names the sample and what to do instead)."""


_IMPLIED = (
    ("targets", "wrong-target"),
    ("prompts", "bad-mask"),
    ("answer", "wrong-answer"),
    ("question", "bad-wording"),
    ("options", "bad-wording"),
    ("references", "bad-wording"),
)


def sample_needs(sample: Sample) -> list[dict[str, Any]]:
    return validate_needs(sample.meta.get("needs"), where=f"sample {sample.id}")


def need_color(index: int) -> tuple[int, int, int]:
    return NEED_COLORS[index % len(NEED_COLORS)]


def _hex(color: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def needs_html(needs: list[dict[str, Any]]) -> str:
    """The completeness questions, one block per need (every text escaped)."""
    blocks = []
    for index, need in enumerate(needs):
        count = len(need["annotated"])
        swatch = f"<span class='pb-swatch' style='background:{_hex(need_color(index))}'></span>"
        blocks.append(
            f"<div class='pb-need' data-need='{html.escape(need['id'])}'>{swatch}"
            f"<b>{count} annotated</b> {html.escape(need['category'])} (outlined in this colour)"
            f" &middot; <i>{html.escape(need['claim'])}</i><br>"
            f"<b class='pb-question'>{html.escape(need['question'])}</b> "
            "<kbd>Y</kbd> yes, reject &middot; <kbd>N</kbd> no</div>"
        )
    return "".join(blocks)


def need_choices(needs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(f"No: {need['question']}", need["id"]) for need in needs]


def sentence_choices(sample: Sample) -> list[tuple[str, int]]:
    if sample.task != "description":
        return []
    return [
        (f"{n}. {text}", n - 1)
        for n, (_, text) in enumerate(description_sentences(sample.references), start=1)
    ]


def unanswered(sample: Sample, confirmed: list[str] | None) -> list[dict[str, Any]]:
    done = set(confirmed or [])
    return [need for need in sample_needs(sample) if need["id"] not in done]


def refuse_accept(
    sample: Sample, confirmed: list[str] | None, false_sentences: list[int] | None
) -> None:
    """Raise ReviewCheckError when an accept of ``sample`` must wait (see the module docstring)."""
    left = unanswered(sample, confirmed)
    if left:
        raise ReviewCheckError(
            f"sample {sample.id}: answer the question first: {left[0]['question']} "
            "(N: no, nothing is wrong; Y: yes, reject)"
        )
    if false_sentences:
        numbers = ", ".join(str(index + 1) for index in sorted(false_sentences))
        raise ReviewCheckError(
            f"sample {sample.id}: statement {numbers} is marked false: correct the text and "
            "press E, reject with R, or unmark it"
        )


def need_reason(sample: Sample, confirmed: list[str] | None) -> dict[str, Any]:
    left = unanswered(sample, confirmed)
    if not left:
        raise ReviewCheckError(f"sample {sample.id}: every question is already answered no")
    return {"code": left[0]["reason"], "need": left[0]["id"]}


def _chosen(code: str | None, note: str | None) -> list[dict[str, Any]]:
    if not code:
        return []
    if code not in REASON_CODES:
        raise ReviewCheckError(f"unknown reason {code!r}; pick one of {list(REASON_CODES)}")
    note = (note or "").strip()
    if code == "other" and not note:
        raise ReviewCheckError("reason 'other' needs a note saying what is wrong")
    return [{"code": code, **({"note": note} if note else {})}]


def _statements(sample: Sample, false_sentences: list[int] | None) -> list[dict[str, Any]]:
    count = len(description_sentences(sample.references))
    marked = sorted({int(index) for index in false_sentences or []})
    if any(not 0 <= index < count for index in marked):
        raise ReviewCheckError(f"sample {sample.id}: a marked statement is not one of {count}")
    return [{"code": "false-statement", "sentence": index} for index in marked]


def reject_reasons(
    sample: Sample, false_sentences: list[int] | None, code: str | None, note: str | None
) -> list[dict[str, Any]]:
    reasons = _statements(sample, false_sentences) + _chosen(code, note)
    if not reasons:
        raise ReviewCheckError(
            f"sample {sample.id}: pick a reject reason (or mark a false statement) first"
        )
    return reasons


def edit_reasons(
    sample: Sample,
    after: dict[str, Any],
    false_sentences: list[int] | None,
    code: str | None,
    note: str | None,
) -> list[dict[str, Any]]:
    reasons = _statements(sample, false_sentences) + _chosen(code, note)
    if reasons:
        return reasons
    implied = dict.fromkeys(reason for field, reason in _IMPLIED if field in after)
    return [{"code": reason} for reason in implied]
