"""Sample schema shared by the three PerBench tasks.

API:
  TASKS                          ("description", "mcq", "vt_res")
  Sample                         one row of a release (same fields for every task)
  Sample.to_dict() / Sample.from_dict(d)   JSON-ready dict (image left out of to_dict)
  validate_sample(sample, withheld=False)   raise SchemaError naming the sample id and field
  make_sample_id(task, *parts)   stable id from the sample's defining content
  prompt_tags(text)              the ``<regionK>`` tags a text mentions, in order

Field use per task (unused fields are None):
  description  references: list[str]            (the detailed reference descriptions)
  mcq          options: list[str], answer: int   (0-based index of the correct option)
  vt_res       targets: list[RLE]                (empty list = the text names no object)
Every task: prompts = [{"tag": "<region1>", "mask": RLE}, ...]; question refers to them by tag.
``image`` is encoded image bytes (PNG/JPEG) or a path; ``meta`` is free JSON (category,
attributes, relation, builder, review record).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field, fields, replace
from typing import Any

from perbench.errors import MaskError, SchemaError
from perbench.masks import RLE, area, check_rle

TASKS = ("description", "mcq", "vt_res")
SCHEMA_VERSION = "1.0"
OPTION_LETTERS = "ABCDEFGHIJ"
TAG_PATTERN = re.compile(r"<region\d+>", re.ASCII)


@dataclass
class Sample:
    """One benchmark sample. Masks are RLE sized ``[height, width]`` of the image."""

    id: str
    task: str
    image_id: str
    width: int
    height: int
    question: str
    prompts: list[dict[str, Any]]
    image: bytes | str | None = None
    source: dict[str, Any] = field(default_factory=dict)
    references: list[str] | None = None
    options: list[str] | None = None
    answer: int | None = None
    targets: list[RLE] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, with_image: bool = False) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        if not with_image:
            data.pop("image")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sample:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SchemaError(f"unknown fields {unknown}", where=f"sample {data.get('id', '?')}")
        missing = [
            n
            for n in ("id", "task", "image_id", "width", "height", "question", "prompts")
            if n not in data
        ]
        if missing:
            raise SchemaError(f"missing fields {missing}", where=f"sample {data.get('id', '?')}")
        return cls(**data)

    def copy_with(self, **changes: Any) -> Sample:
        """A deep copy with ``changes`` applied (the original is never modified)."""
        return copy.deepcopy(replace(self, **changes))


def make_sample_id(task: str, *parts: Any) -> str:
    """A stable id: the task plus a hash of the parts that define the sample."""
    digest = hashlib.sha1(
        json.dumps([task, *parts], sort_keys=True, default=str).encode()
    ).hexdigest()
    return f"{task}-{digest[:16]}"


def prompt_tags(text: str) -> list[str]:
    """Tags such as ``<region1>`` in ``text``, in order of first appearance."""
    seen: list[str] = []
    for tag in TAG_PATTERN.findall(text or ""):
        if tag not in seen:
            seen.append(tag)
    return seen


def _fail(sample_id: str, field_name: str, message: str) -> SchemaError:
    return SchemaError(message, where=f"sample {sample_id}, field '{field_name}'")


def _check_str_list(sample_id: str, name: str, value: Any, min_len: int) -> None:
    if not isinstance(value, list) or len(value) < min_len:
        raise _fail(sample_id, name, f"must be a list of at least {min_len} string(s)")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise _fail(sample_id, name, f"item {index} must be a non-empty string")


def _check_options(sample_id: str, options: Any) -> None:
    _check_str_list(sample_id, "options", options, 2)
    if len(options) > len(OPTION_LETTERS):
        raise _fail(sample_id, "options", f"at most {len(OPTION_LETTERS)} options")
    if len({o.strip().lower() for o in options}) != len(options):
        raise _fail(sample_id, "options", "options repeat")


def validate_sample(sample: Sample, withheld: bool = False) -> Sample:
    """Check every field; raise ``SchemaError`` naming the sample id and the field.

    ``withheld``: a withheld split's public sample (``perbench.withheld``), whose answer fields
    (references, answer, targets) must be null; mcq options stay.
    """
    sid = sample.id if isinstance(sample.id, str) and sample.id else "<no id>"
    if not isinstance(sample.id, str) or not sample.id.strip():
        raise _fail(sid, "id", "must be a non-empty string")
    if sample.task not in TASKS:
        raise _fail(sid, "task", f"must be one of {TASKS}, got {sample.task!r}")
    for name in ("width", "height"):
        value = getattr(sample, name)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise _fail(sid, name, f"must be a positive int, got {value!r}")
    if not isinstance(sample.image_id, str) or not sample.image_id:
        raise _fail(sid, "image_id", "must be a non-empty string")
    if not isinstance(sample.question, str) or not sample.question.strip():
        raise _fail(sid, "question", "must be a non-empty string")
    for name in ("source", "meta"):
        value = getattr(sample, name)
        if not isinstance(value, dict):
            raise _fail(sid, name, "must be a JSON object")
        try:
            json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise _fail(sid, name, f"must hold only JSON values: {exc}") from None
    size = (sample.height, sample.width)
    if not isinstance(sample.prompts, list) or not sample.prompts:
        raise _fail(sid, "prompts", "must be a non-empty list of {tag, mask}")
    tags = []
    for index, prompt in enumerate(sample.prompts):
        if not isinstance(prompt, dict) or set(prompt) != {"tag", "mask"}:
            raise _fail(sid, "prompts", f"item {index} must be {{'tag', 'mask'}}")
        if not isinstance(prompt["tag"], str) or not TAG_PATTERN.fullmatch(prompt["tag"]):
            raise _fail(sid, "prompts", f"item {index} tag {prompt['tag']!r} is not like <region1>")
        tags.append(prompt["tag"])
        try:
            prompt["mask"] = check_rle(prompt["mask"], size)
        except MaskError as exc:
            raise _fail(sid, "prompts", f"item {index} ({prompt['tag']}): {exc}") from None
        if area(prompt["mask"]) == 0:
            raise _fail(sid, "prompts", f"item {index} ({prompt['tag']}): the mask is empty")
    if len(set(tags)) != len(tags):
        raise _fail(sid, "prompts", f"tags repeat: {tags}")
    unknown = [t for t in prompt_tags(sample.question) if t not in tags]
    if unknown:
        raise _fail(sid, "question", f"mentions {unknown}, which no prompt defines")
    used = {
        f: getattr(sample, f) is not None for f in ("references", "options", "answer", "targets")
    }
    expected = {"description": {"references"}, "mcq": {"options", "answer"}, "vt_res": {"targets"}}
    if withheld:
        expected = {"description": set(), "mcq": {"options"}, "vt_res": set()}
    for name, present in used.items():
        if present != (name in expected[sample.task]):
            state = "is required" if not present else "must be null"
            raise _fail(sid, name, f"{state} for task {sample.task}")
    if withheld:
        if sample.task == "mcq":
            _check_options(sid, sample.options)
    elif sample.task == "description":
        _check_str_list(sid, "references", sample.references, 1)
    elif sample.task == "mcq":
        _check_options(sid, sample.options)
        answer = sample.answer
        if (
            not isinstance(answer, int)
            or isinstance(answer, bool)
            or not 0 <= answer < len(sample.options)
        ):
            raise _fail(sid, "answer", f"must be an option index 0..{len(sample.options) - 1}")
    else:
        if not isinstance(sample.targets, list):
            raise _fail(sid, "targets", "must be a list of RLE masks (empty = no target)")
        for index, target in enumerate(sample.targets):
            try:
                sample.targets[index] = check_rle(target, size)
            except MaskError as exc:
                raise _fail(sid, "targets", f"item {index}: {exc}") from None
    return sample
