"""Read and check a predictions file (JSON Lines) in one streaming pass, memory flat in its size.

API:
  Expected(task, height, width)             what the release says about one sample id
  expected_from_release(release) -> {id: Expected}
  index_submission(path, expected, scored=None, allow_missing=False) -> SubmissionIndex
  SubmissionIndex.read(sample_id) -> prediction     re-reads that one line (seek by offset)
  masks_from_text(text, (h, w)) -> list[RLE] | NotMasks    a V-T RES answer given as text
  NotMasks(reason)                          such a text that is not JSON masks of the image

Line format: ``{"id": "<sample id>", "prediction": ...}``; a string for ``description`` and
``mcq``; for ``vt_res`` a compressed or uncompressed RLE, a list of them, a polygon list, or
null (no object), or the model's answer as text (what lmms-eval and VLMEvalKit hand back): JSON
text of one of those. Text that is not JSON masks of the image is scored as a missing
prediction and counted (``not_json``), never silently. Blank lines are skipped; extra keys are
ignored.
Every problem is collected (up to ``MAX_PROBLEMS``) with its line number and sample id:
not UTF-8, not JSON, NaN/Infinity, not an object, no id, unknown or duplicate id, wrong type
for the task, text too long, mask not the image size, corrupt RLE; then missing samples
(an error unless ``allow_missing``). Only the byte offset of each line is kept, so a second
pass reads the predictions one at a time while scoring.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perbench.errors import MaskError, PerBenchError, SubmissionError
from perbench.masks import RLE, check_rle, to_rle

MAX_PROBLEMS = 50
MAX_LINE_BYTES = 64 << 20
MAX_TEXT_CHARS = 100_000
SHOWN_MISSING = 10
SHOWN_ID_CHARS = 200
ID_GUESS = re.compile(r'"id"\s*:\s*"((?:[^"\\]|\\.){1,200})"')
FORMAT_HINT = 'each line must be {"id": "<sample id>", "prediction": ...}'


@dataclass(frozen=True)
class Expected:
    task: str
    height: int
    width: int


def expected_from_release(release) -> dict[str, Expected]:
    """Task and image size of every sample of a ``perbench.release.Release``."""
    return {s.id: Expected(s.task, s.height, s.width) for s in release.samples()}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


@dataclass(frozen=True)
class NotMasks:
    """A V-T RES answer given as text that is not JSON masks of the image, and why."""

    reason: str


def masks_from_text(text: str, size: tuple[int, int]) -> list[RLE] | NotMasks:
    """The masks that a V-T RES text answer holds as JSON, or ``NotMasks`` saying why not."""
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        return NotMasks(f"not JSON: {getattr(exc, 'msg', None) or exc}")
    try:
        return to_masks(value, size, None)
    except PerBenchError as exc:
        return NotMasks(f"JSON, but not masks of the image: {exc}")


def to_masks(value: Any, size: tuple[int, int], where: str | None) -> list[RLE]:
    """A vt_res prediction as a list of RLE of ``size`` = (h, w); raise MaskError otherwise."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [check_rle(value, size, where)]
    if isinstance(value, list):
        if all(isinstance(item, dict) for item in value):
            prefix = f"{where}, " if where else ""
            return [check_rle(m, size, f"{prefix}mask {i}") for i, m in enumerate(value)]
        if all(isinstance(item, list) for item in value):
            return [to_rle(value, size[0], size[1], where)]
        odd = next((i for i, m in enumerate(value) if not isinstance(m, (dict, list))), None)
        if odd is None:  # RLE objects and polygons mixed
            odd = next(i for i, m in enumerate(value) if type(m) is not type(value[0]))
        kind = "null" if value[odd] is None else type(value[odd]).__name__
        advice = " (leave a mask out rather than writing null)" if kind == "null" else ""
        raise MaskError(
            f"a list of masks must hold only RLE objects or only polygons; mask {odd} is {kind}"
            + advice,
            where=where,
        )
    raise MaskError(
        f"a vt_res prediction must be an RLE, a list of RLE, polygons or null, got "
        f"{type(value).__name__}",
        where=where,
    )


def _check(task: str, value: Any, size: tuple[int, int], where: str) -> Any:
    """The prediction in its scoring form (str, or list of RLE); raise PerBenchError if wrong."""
    if task == "vt_res":
        return (
            masks_from_text(value, size) if isinstance(value, str) else to_masks(value, size, where)
        )
    if not isinstance(value, str):
        kind = "null" if value is None else type(value).__name__
        raise PerBenchError(f"a {task} prediction must be a string, got {kind}", where=where)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise PerBenchError(
            f"the text holds an unpaired surrogate ({value[exc.start]!r} at character "
            f"{exc.start}), which is not Unicode text; write the characters themselves",
            where=where,
        ) from None
    if len(value) > MAX_TEXT_CHARS:
        raise PerBenchError(
            f"the prediction has {len(value)} characters; at most {MAX_TEXT_CHARS} are scored "
            "(shorten this sample's text)",
            where=where,
        )
    return value


@dataclass
class SubmissionIndex:
    path: Path
    expected: dict[str, Expected]
    offsets: dict[str, tuple[int, int]] = field(default_factory=dict)  # id -> (byte, line)
    missing: list[str] = field(default_factory=list)
    sha256: str = ""
    lines: int = 0

    def read(self, sample_id: str) -> Any:
        """The checked prediction of ``sample_id``; ``None`` if it is missing."""
        if sample_id not in self.offsets:
            return None
        offset, line = self.offsets[sample_id]
        with open(self.path, "rb") as handle:
            handle.seek(offset)
            raw = handle.readline(MAX_LINE_BYTES + 1)
        text = raw.decode("utf-8-sig" if offset == 0 else "utf-8")
        expected = self.expected[sample_id]
        where = f"{self.path}, line {line}, sample {sample_id}"
        prediction = json.loads(text, parse_constant=_reject_constant)["prediction"]
        return _check(expected.task, prediction, (expected.height, expected.width), where)


class _Problems:
    def __init__(self, path: Path):
        self.path = path
        self.items: list[str] = []
        self.count = 0

    def add(self, line: int, sample_id: str | None, message: str) -> None:
        self.count += 1
        if len(self.items) < MAX_PROBLEMS:
            if sample_id is not None and len(sample_id) > SHOWN_ID_CHARS:
                sample_id = sample_id[:SHOWN_ID_CHARS] + "..."
            who = f", sample {sample_id!r}" if sample_id is not None else ""
            self.items.append(f"line {line}{who}: {message}")


def index_submission(
    path: str | Path,
    expected: dict[str, Expected],
    scored: set[str] | None = None,
    allow_missing: bool = False,
) -> SubmissionIndex:
    """Check every line; raise ``SubmissionError`` listing all problems, else index the file.

    ``expected`` holds every id of the release; ``scored`` the ids this run scores (a shard's),
    all of them when None. Lines of other ids are checked for duplicates only.
    """
    path = Path(path)
    if not path.is_file():
        raise SubmissionError("predictions file not found", where=str(path))
    index = SubmissionIndex(path=path, expected=expected)
    problems = _Problems(path)
    seen_lines: dict[str, int] = {}
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        line = 0
        while True:
            offset = handle.tell()
            raw = handle.readline(MAX_LINE_BYTES + 1)
            if not raw:
                break
            line += 1
            digest.update(raw)
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                _skip_rest_of_line(handle, digest)
                guess = ID_GUESS.search(raw[:4096].decode("utf-8", "replace"))
                problems.add(
                    line,
                    guess.group(1) if guess else None,
                    f"line longer than {MAX_LINE_BYTES >> 20} MiB; that sample is not scored",
                )
                continue
            if line == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            entry = _parse_line(raw, line, problems)
            if entry is None:
                continue
            sample_id, prediction = entry
            if sample_id not in expected:
                problems.add(line, sample_id, "unknown id: no sample of the release has it")
                continue
            if sample_id in seen_lines:
                problems.add(
                    line,
                    sample_id,
                    f"duplicate id: already predicted on line {seen_lines[sample_id]}",
                )
                continue
            seen_lines[sample_id] = line
            if scored is not None and sample_id not in scored:
                continue
            info = expected[sample_id]
            try:
                _check(info.task, prediction, (info.height, info.width), None)
            except PerBenchError as exc:
                problems.add(line, sample_id, str(exc))
                continue
            index.offsets[sample_id] = (offset, line)
        index.lines = line
    index.sha256 = digest.hexdigest()
    wanted = expected.keys() if scored is None else scored
    index.missing = sorted(i for i in wanted if i not in seen_lines)
    messages = list(problems.items)
    if problems.count > len(problems.items):
        messages.append(f"... and {problems.count - len(problems.items)} more problems")
    if index.missing and not allow_missing:
        shown = ", ".join(repr(i) for i in index.missing[:SHOWN_MISSING])
        more = " ..." if len(index.missing) > SHOWN_MISSING else ""
        messages.append(
            f"{len(index.missing)} samples have no prediction: {shown}{more} (predict every "
            "sample, or pass --allow-missing to score them as wrong)"
        )
    if messages:
        raise SubmissionError(
            f"{len(messages)} problem(s); nothing was scored", problems=messages, where=str(path)
        )
    return index


def _skip_rest_of_line(handle, digest) -> None:
    while chunk := handle.readline(MAX_LINE_BYTES):
        digest.update(chunk)
        if chunk.endswith(b"\n"):
            return


def _parse_line(raw: bytes, line: int, problems: _Problems) -> tuple[str, Any] | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        guess = ID_GUESS.search(raw.decode("utf-8", "replace"))
        problems.add(
            line,
            guess.group(1) if guess else None,
            f"not UTF-8 text (bad byte at position {exc.start}); save the file as UTF-8",
        )
        return None
    guess = ID_GUESS.search(text)
    guessed_id = guess.group(1) if guess else None
    try:
        obj = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        problems.add(line, guessed_id, f"not valid JSON: {exc.msg} at column {exc.colno}")
        return None
    except ValueError as exc:
        problems.add(line, guessed_id, f"{exc} (NaN and Infinity are not valid predictions)")
        return None
    except RecursionError:
        problems.add(line, guessed_id, "JSON nested too deeply")
        return None
    if not isinstance(obj, dict):
        kind = (
            "an array (a JSON file, not JSON Lines?)"
            if isinstance(obj, list)
            else type(obj).__name__
        )
        problems.add(line, None, f"got {kind}; {FORMAT_HINT}")
        return None
    sample_id = obj.get("id")
    if not isinstance(sample_id, str) or not sample_id:
        problems.add(
            line, None, f"'id' must be a non-empty string, got {sample_id!r}; {FORMAT_HINT}"
        )
        return None
    if "prediction" not in obj:
        problems.add(line, sample_id, f"no 'prediction' key; {FORMAT_HINT}")
        return None
    return sample_id, obj["prediction"]
