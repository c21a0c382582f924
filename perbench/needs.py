"""What a reviewer must confirm (``meta["needs"]``) and why a reviewer rejects or edits (reasons).

The builders cannot see objects that stand in the photo without a mask, nor tell whether two
annotations are one object cut in two. A drafted claim that depends on such a fact carries a
*need*: a yes/no question for the reviewer, where "yes" means the draft is wrong. The review app
shows the question with the annotated instances it is about, and a "yes" rejects the sample with
the need's reason. This module is the contract between ``builders`` (who write needs) and
``review_ui`` / ``perbench.store`` / the audit (who show, record and count them).

API:
  NEED_KINDS                     kind -> the reason code a "yes" answer records
  REASON_CODES                   reason code -> label shown to reviewers (structured reasons)
  make_need(kind, category, question, annotated, claim, pieces=None) -> dict
  validate_needs(value, where)   the list in ``meta["needs"]``; raises SchemaError naming where
  need_ids(meta)                 ids of the needs a sample carries, in order
  validate_reasons(value, where) a decision's structured reasons; raises SchemaError
  encode_reasons(reasons) / decode_reasons(text)   the store's ``reason`` column (JSON list;
                                 a legacy plain-text reason decodes as ``{"code": "other"}``)

A need (all keys present):
  id          "<kind>:<category>" (unique within the sample; decisions name needs by id)
  kind        "complete"   every instance of ``category`` in the photo is annotated
              "one-object" the annotations in ``pieces`` are separate objects, not parts of one
              "identifies" the text singles out its object among the annotated ``category``
  category    display name of the category the question is about
  question    the yes/no question, phrased so that "yes" means the draft is wrong,
              e.g. "Is any person in the photo not outlined?"
  claim       the words of the draft that depend on it ("nearest", "all", "of the four people")
  annotated   list[RLE]: every annotated instance of ``category`` in this image (what the
              reviewer compares the photo against); masks sized like the sample's image
  pieces      list[int]: for "one-object", indices into ``annotated`` of the possible pieces
              (else an empty list)
  reason      the reason code a "yes" records: NEED_KINDS[kind]

A structured reason: ``{"code": <REASON_CODES key>, "note": str?, "sentence": int?,
"need": <need id>?}``; ``other`` requires a note.
"""

from __future__ import annotations

import json
from typing import Any

from perbench.errors import MaskError, SchemaError
from perbench.masks import RLE, check_rle

NEED_KINDS = {
    "complete": "unannotated-object",
    "one-object": "split-object",
    "identifies": "ambiguous",
}

REASON_CODES = {
    "false-statement": "a statement is false about the photo",
    "wrong-answer": "the keyed answer is wrong, or another option is also right",
    "wrong-target": "the targets are not what the text refers to",
    "ambiguous": "the text fits more than one object",
    "unannotated-object": "an object in the photo has no mask",
    "split-object": "one object is annotated as two",
    "needs-no-prompt": "the text finds its targets without the prompts",
    "bad-mask": "a prompt or target mask is wrong",
    "bad-wording": "the text is not fluent or gives the answer away",
    "duplicate": "the same item appears elsewhere",
    "unsafe": "unsafe content",
    "other": "other (a note says what)",
}

_NEED_KEYS = ("id", "kind", "category", "question", "claim", "annotated", "pieces", "reason")
_REASON_KEYS = {"code", "note", "sentence", "need"}


def make_need(
    kind: str,
    category: str,
    question: str,
    annotated: list[RLE],
    claim: str,
    pieces: list[int] | None = None,
) -> dict[str, Any]:
    """One ``meta["needs"]`` entry (validated)."""
    need = {
        "id": f"{kind}:{category}",
        "kind": kind,
        "category": category,
        "question": question,
        "claim": claim,
        "annotated": list(annotated),
        "pieces": list(pieces or []),
        "reason": NEED_KINDS.get(kind, ""),
    }
    validate_needs([need], where="make_need")
    return need


def validate_needs(value: Any, where: str) -> list[dict[str, Any]]:
    """Check ``meta["needs"]`` (None or a list of needs); return it as a list."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise SchemaError(f"meta.needs must be a list, got {type(value).__name__}", where=where)
    seen: set[str] = set()
    for index, need in enumerate(value):
        at = f"{where}: meta.needs[{index}]"
        if not isinstance(need, dict) or sorted(need) != sorted(_NEED_KEYS):
            raise SchemaError(f"a need has exactly the keys {list(_NEED_KEYS)}", where=at)
        if need["kind"] not in NEED_KINDS:
            raise SchemaError(f"kind {need['kind']!r} is not one of {list(NEED_KINDS)}", where=at)
        for key in ("id", "category", "question", "claim"):
            if not isinstance(need[key], str) or not need[key].strip():
                raise SchemaError(f"{key} must be a non-empty string", where=at)
        if need["id"] in seen:
            raise SchemaError(f"need id {need['id']!r} appears twice", where=at)
        seen.add(need["id"])
        if need["reason"] != NEED_KINDS[need["kind"]]:
            raise SchemaError(
                f"reason of a {need['kind']!r} need is {NEED_KINDS[need['kind']]!r}", where=at
            )
        if not isinstance(need["annotated"], list):
            raise SchemaError("annotated must be a list of RLE masks", where=at)
        for mask_index, mask in enumerate(need["annotated"]):
            try:
                check_rle(mask)
            except MaskError as exc:
                raise SchemaError(f"annotated[{mask_index}]: {exc}", where=at) from None
        pieces = need["pieces"]
        if not isinstance(pieces, list) or not all(
            isinstance(p, int) and not isinstance(p, bool) and 0 <= p < len(need["annotated"])
            for p in pieces
        ):
            raise SchemaError("pieces must be indices into annotated", where=at)
        if need["kind"] == "one-object" and len(pieces) < 2:
            raise SchemaError("a one-object need names at least two pieces", where=at)
    return value


def need_ids(meta: dict[str, Any]) -> list[str]:
    """Ids of the needs in a sample's meta, in order (none: an empty list)."""
    return [need["id"] for need in meta.get("needs") or []]


def validate_reasons(value: Any, where: str) -> list[dict[str, Any]]:
    """Check a decision's structured reasons (a list of reason dicts); return it."""
    if not isinstance(value, list):
        raise SchemaError("reasons must be a list of {code, note?, sentence?, need?}", where=where)
    for index, reason in enumerate(value):
        at = f"{where}: reasons[{index}]"
        if not isinstance(reason, dict) or "code" not in reason or set(reason) - _REASON_KEYS:
            raise SchemaError(f"a reason has a code and only {sorted(_REASON_KEYS)}", where=at)
        if reason["code"] not in REASON_CODES:
            raise SchemaError(
                f"unknown reason code {reason['code']!r}; use one of {list(REASON_CODES)}",
                where=at,
            )
        note = reason.get("note")
        if note is not None and not isinstance(note, str):
            raise SchemaError("note must be a string", where=at)
        if reason["code"] == "other" and not (note or "").strip():
            raise SchemaError("reason 'other' needs a note saying what is wrong", where=at)
        sentence = reason.get("sentence")
        if sentence is not None and (
            not isinstance(sentence, int) or isinstance(sentence, bool) or sentence < 0
        ):
            raise SchemaError("sentence must be a 0-based index", where=at)
        if reason.get("need") is not None and not isinstance(reason["need"], str):
            raise SchemaError("need must be a need id string", where=at)
    return value


def encode_reasons(reasons: list[dict[str, Any]] | None) -> str | None:
    """The store's ``reason`` column for a list of reasons (None when there are none)."""
    if not reasons:
        return None
    validate_reasons(reasons, where="reasons")
    return json.dumps(reasons, sort_keys=True, separators=(",", ":"))


def decode_reasons(text: str | None) -> list[dict[str, Any]]:
    """Structured reasons from the ``reason`` column; a legacy plain-text reason is ``other``."""
    if not text:
        return []
    if text.startswith("["):
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if isinstance(value, list):
            return validate_reasons(value, where="decision reason")
    return [{"code": "other", "note": text}]
