"""VLMEvalKit: a release as custom TSV datasets, and its prediction files back as PerBench JSONL.

API:
  export_vlmevalkit(release, out_dir) -> list[Path]
      ``PerBench_MCQ.tsv`` (VLMEvalKit's custom multiple-choice layout: index, image, question,
      A, B, ..., answer, category), ``PerBench_Description.tsv`` and ``PerBench_VTRES.tsv``
      (index, image, question, answer); every row also carries ``perbench_id``
  vlmevalkit_indices(release) -> {task: {sample id: index}}
  convert_predictions(release, prediction_files, out_path) -> int   lines written

Images are the *marked* images (prompt regions outlined and labelled), base64 PNG, since
VLMEvalKit has no mask input. Circular indices: MCQ rotations of one question share a base
index and rotation r gets ``base + r * 1_000_000`` (VLMEvalKit groups circular copies by
``index % 1e6``). Indices are assigned in the release's order, so the converter recomputes them
from the release; ``perbench_id`` is used first when a prediction file kept it.
A prediction file is VLMEvalKit's output (``.xlsx``, ``.tsv`` or ``.csv``) with ``index`` and
``prediction`` columns; a V-T RES prediction must be JSON text (an RLE, a list, or null) and is
left out, and counted, when it is not.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

from evaluators.api import open_release
from evaluators.lmms_tasks import VT_RES_FORMAT, parse_prediction
from perbench.errors import DependencyError, PerBenchError
from perbench.limits import read_bounded
from perbench.outputs import output_file, output_folder
from perbench.render import marked_image_bytes
from perbench.schema import OPTION_LETTERS

FILES = {
    "mcq": "PerBench_MCQ.tsv",
    "description": "PerBench_Description.tsv",
    "vt_res": "PerBench_VTRES.tsv",
}
CIRCULAR_STEP = 1_000_000
TASK_OFFSET = {"description": 0, "mcq": 100_000, "vt_res": 200_000}


def vlmevalkit_indices(release) -> dict[str, dict[str, int]]:
    indices: dict[str, dict[str, int]] = {}
    for task in release.tasks:
        bases: dict[str, int] = {}
        indices[task] = {}
        for sample in release.samples(task):
            circular = sample.meta.get("circular") or {}
            group = str(circular.get("group", sample.id))
            base = bases.setdefault(group, TASK_OFFSET[task] + len(bases))
            indices[task][sample.id] = base + int(circular.get("rotation", 0)) * CIRCULAR_STEP
    return indices


def _pandas():
    try:
        import pandas
    except ImportError:
        raise DependencyError("VLMEvalKit files need pandas", hint="pip install pandas") from None
    return pandas


def export_vlmevalkit(release, out_dir: str | Path) -> list[Path]:
    pandas = _pandas()
    out = output_folder(out_dir)
    release = open_release(release, verify=True)
    out.mkdir(parents=True, exist_ok=True)
    indices = vlmevalkit_indices(release)
    written = []
    for task in release.tasks:
        rows = []
        for sample in release.samples(task, with_image=True):
            image = base64.b64encode(marked_image_bytes(sample.image, sample.prompts)).decode()
            row = {"index": indices[task][sample.id], "image": image}
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
    """The table of a predictions file, bounded by ``table_bytes``; any reader failure (empty,
    ragged, not UTF-8, not a workbook) is a PerBenchError naming the file."""
    pandas = _pandas()
    data = read_bounded(path, "table_bytes", "predictions table")
    try:
        if path.suffix == ".xlsx":
            return pandas.read_excel(io.BytesIO(data))
        text = data.decode("utf-8-sig")
        separator = "\t" if path.suffix == ".tsv" else ","
        return pandas.read_csv(io.StringIO(text), sep=separator, keep_default_na=False, dtype=str)
    except ImportError:
        raise DependencyError(".xlsx files need openpyxl", hint="pip install openpyxl") from None
    except UnicodeDecodeError as exc:
        raise PerBenchError(
            f"not UTF-8 text (bad byte at position {exc.start}); save the file as UTF-8",
            where=str(path),
        ) from None
    except Exception as exc:  # pandas and openpyxl raise many types on a broken table
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PerBenchError(
            f"not a readable {path.suffix or 'CSV'} table: {first}",
            where=str(path),
            hint="write it with VLMEvalKit, or as a tab-separated file with a header row",
        ) from None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def convert_predictions(release, prediction_files: list[str | Path], out_path: str | Path) -> int:
    out_path = output_file(out_path)
    release = open_release(release, verify=True)
    by_index = {
        (task, index): sid
        for task, ids in vlmevalkit_indices(release).items()
        for sid, index in ids.items()
    }
    tasks = {s.id: s for s in release.samples()}
    lines, unparsed = {}, 0
    for raw in map(Path, prediction_files):
        frame = _read(raw)
        if "prediction" not in frame.columns or "index" not in frame.columns:
            raise PerBenchError("needs 'index' and 'prediction' columns", where=str(raw))
        task = next((t for t, name in FILES.items() if Path(name).stem in raw.stem), None)
        for number, row in enumerate(frame.to_dict("records"), start=2):
            sid = row.get("perbench_id") or by_index.get((task, _int_or_none(row["index"])))
            if sid not in tasks:
                raise PerBenchError(
                    f"row {number}: index {row['index']} is no sample of the release "
                    "(name the file after the exported TSV, or keep its perbench_id column)",
                    where=str(raw),
                )
            sample = tasks[sid]
            text = "" if row["prediction"] is None else str(row["prediction"])
            prediction = parse_prediction(sample.task, text, sample.height, sample.width)
            if prediction is None:
                unparsed += 1
                continue
            lines[sid] = prediction
    with open(out_path, "w", encoding="utf-8") as handle:
        for sid, prediction in lines.items():
            handle.write(json.dumps({"id": sid, "prediction": prediction}) + "\n")
    if unparsed:
        print(f"{unparsed} V-T RES predictions were not JSON masks of the image size: left out")
    return len(lines)
