"""VLMEvalKit: a release as custom TSV datasets, and its prediction files back as PerBench JSONL.

API:
  export_vlmevalkit(release, out_dir) -> list[Path]
      ``PerBench_MCQ_circular.tsv`` (VLMEvalKit's custom multiple-choice layout: index, image,
      question, A, B, ..., answer, category), ``PerBench_Description.tsv`` and
      ``PerBench_VTRES.tsv`` (index, image, question, answer); every row also carries
      ``perbench_id``
  vlmevalkit_indices(release) -> {task: {sample id: index}}
  convert_predictions(release, prediction_files, out_path) -> int   lines written

Images are the *marked* images (prompt regions outlined and labelled), base64 PNG, since
VLMEvalKit has no mask input. A row whose marked image an earlier row of the file already holds
stores that row's index instead (VLMEvalKit reads an ``image`` of at most 64 characters as a
reference), so the rotations of one question carry their image once.
Circular indices: MCQ rotations of one question share a base index and rotation r gets
``base + r * 1_000_000`` (VLMEvalKit groups circular copies by ``index % 1e6``); VLMEvalKit
scores rotation groups together only when the dataset name holds "circular" (or "mmbench"),
hence the MCQ file's name. A sample whose (group, rotation) another sample already holds, or
whose rotation is not a small non-negative int, gets a base of its own, so no two rows share an
index. Indices are assigned in the release's order, so the converter recomputes them from the
release; ``perbench_id`` is used first when a prediction file kept it.
A prediction file is VLMEvalKit's output (``.xlsx``, ``.tsv`` or ``.csv``) with ``index`` and
``prediction`` columns; a V-T RES prediction is JSON text (an RLE, a list, or null); text that
is not is written as it is, and ``perbench evaluate`` scores it as missing and counts it
(``not_json``).
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from evaluators.api import open_release
from evaluators.lmms_tasks import VT_RES_FORMAT, parse_prediction
from evaluators.submission import NotMasks
from perbench.errors import DependencyError, PerBenchError
from perbench.render import marked_image_bytes
from perbench.schema import OPTION_LETTERS

FILES = {
    "mcq": "PerBench_MCQ_circular.tsv",
    "description": "PerBench_Description.tsv",
    "vt_res": "PerBench_VTRES.tsv",
}
# prediction files named after an older export (before the MCQ name held "circular")
OLD_STEMS = {"mcq": "PerBench_MCQ"}
CIRCULAR_STEP = 1_000_000
TASK_OFFSET = {"description": 0, "mcq": 100_000, "vt_res": 200_000}
TASK_SPAN = 100_000
MAX_ROTATION = 25  # one rotation per option letter


def _rotation(circular: dict) -> int | None:
    rotation = circular.get("rotation", 0)
    if isinstance(rotation, bool) or not isinstance(rotation, int):
        return None
    return rotation if 0 <= rotation <= MAX_ROTATION else None


def vlmevalkit_indices(release) -> dict[str, dict[str, int]]:
    """``{task: {sample id: index}}``, unique within each task (see the module docstring)."""
    indices: dict[str, dict[str, int]] = {}
    for task in release.tasks:
        bases: dict[str, int] = {}
        taken: set[int] = set()
        allocated = 0  # base indices handed out so far: groups, and samples given their own
        indices[task] = {}
        for sample in release.samples(task):
            circular = sample.meta.get("circular")
            circular = circular if isinstance(circular, dict) else {}
            group, rotation = str(circular.get("group", sample.id)), _rotation(circular)
            base = bases.get(group)
            if base is None or rotation is None or base + rotation * CIRCULAR_STEP in taken:
                rotation = rotation if group not in bases and rotation is not None else 0
                base = TASK_OFFSET[task] + allocated
                allocated += 1
                bases.setdefault(group, base)
            if base >= TASK_OFFSET[task] + TASK_SPAN:
                raise PerBenchError(
                    f"the {task} samples need more than {TASK_SPAN} VLMEvalKit base indices",
                    where=str(release.path),
                    hint="export a release with fewer questions per task",
                )
            index = base + rotation * CIRCULAR_STEP
            taken.add(index)
            indices[task][sample.id] = index
    return indices


def _pandas():
    try:
        import pandas
    except ImportError:
        raise DependencyError("VLMEvalKit files need pandas", hint="pip install pandas") from None
    return pandas


def export_vlmevalkit(release, out_dir: str | Path) -> list[Path]:
    pandas = _pandas()
    release = open_release(release, verify=True)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    indices = vlmevalkit_indices(release)
    written = []
    for task in release.tasks:
        rows = []
        holder: dict[str, int] = {}  # marked image (photo + prompts) -> the row that holds it
        for sample in release.samples(task, with_image=True):
            index = indices[task][sample.id]
            key = hashlib.sha256(sample.image + json.dumps(sample.prompts).encode()).hexdigest()
            if key in holder:
                image = str(holder[key])
            else:
                holder[key] = index
                marked = marked_image_bytes(sample.image, sample.prompts)
                image = base64.b64encode(marked).decode()
            row = {"index": index, "image": image}
            if task == "mcq":
                row["question"] = sample.question
                row.update({OPTION_LETTERS[i]: o for i, o in enumerate(sample.options)})
                row["answer"] = OPTION_LETTERS[sample.answer]
            elif task == "vt_res":
                row["question"] = f"{sample.question.strip()}\n{VT_RES_FORMAT}"
                row["answer"] = json.dumps(sample.targets)
            else:
                row["question"] = sample.question
                row["answer"] = sample.references[0]
            row["category"] = sample.meta.get("category", "")
            row["perbench_id"] = sample.id
            rows.append(row)
        path = out / FILES[task]
        pandas.DataFrame(rows).to_csv(path, sep="\t", index=False)
        written.append(path)
    return written


def _read(path: Path):
    pandas = _pandas()
    if path.suffix == ".xlsx":
        try:
            return pandas.read_excel(path)
        except ImportError:
            raise DependencyError(
                ".xlsx files need openpyxl", hint="pip install openpyxl"
            ) from None
    return pandas.read_csv(path, sep="\t" if path.suffix == ".tsv" else ",", keep_default_na=False)


def convert_predictions(release, prediction_files: list[str | Path], out_path: str | Path) -> int:
    release = open_release(release, verify=True)
    by_index = {
        (task, index): sid
        for task, ids in vlmevalkit_indices(release).items()
        for sid, index in ids.items()
    }
    tasks = {s.id: s for s in release.samples()}
    lines, not_json = {}, 0
    for raw in map(Path, prediction_files):
        frame = _read(raw)
        if "prediction" not in frame.columns or "index" not in frame.columns:
            raise PerBenchError("needs 'index' and 'prediction' columns", where=str(raw))
        task = next((t for t, name in FILES.items() if Path(name).stem in raw.stem), None)
        task = task or next((t for t, stem in OLD_STEMS.items() if stem in raw.stem), None)
        for number, row in enumerate(frame.to_dict("records"), start=2):
            sid = row.get("perbench_id") or by_index.get((task, int(row["index"])))
            if sid not in tasks:
                raise PerBenchError(
                    f"row {number}: index {row['index']} is no sample of the release "
                    "(name the file after the exported TSV, or keep its perbench_id column)",
                    where=str(raw),
                )
            sample = tasks[sid]
            text = "" if row["prediction"] is None else str(row["prediction"])
            prediction = parse_prediction(sample.task, text, sample.height, sample.width)
            if isinstance(prediction, NotMasks):
                not_json += 1
                prediction = text
            lines[sid] = prediction
    with open(out_path, "w", encoding="utf-8") as handle:
        for sid, prediction in lines.items():
            handle.write(json.dumps({"id": sid, "prediction": prediction}) + "\n")
    if not_json:
        print(
            f"{not_json} V-T RES predictions are not JSON masks of the image size: kept as "
            "text; perbench evaluate scores them as missing and counts them (not_json)"
        )
    return len(lines)
