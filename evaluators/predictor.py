"""Run any model over a release and score it: the ``Predictor`` protocol.

API:
  Predictor          protocol: ``predict(sample) -> prediction`` (str for description and mcq;
                     RLE, list of RLE or None for vt_res; pycocotools' bytes counts and dense
                     (H, W) arrays are converted). The sample carries its image bytes;
                     ``perbench.prompts.format_mcq_prompt(sample)`` gives the MCQ text.
  predict_release(release, predictor, predictions_path, tasks=None, resume=True) -> Path
      write the submission (JSON Lines, one flushed line per sample); with ``resume`` the
      samples already in the file are skipped and a line cut off by a crash is dropped
  predict_and_evaluate(release, predictor, predictions_path, model, revision=None,
                       protocol="strict", out_dir=None, tasks=None, resume=True) -> results
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tqdm import tqdm

from evaluators.api import evaluate
from perbench.errors import SubmissionError
from perbench.masks import RLE, to_rle
from perbench.outputs import output_file
from perbench.release import Release
from perbench.schema import Sample


class Predictor(Protocol):
    def predict(self, sample: Sample) -> str | RLE | list[RLE] | None: ...


def _json_masks(prediction: Any, sample: Sample) -> Any:
    """vt_res masks as JSON-ready compressed RLE: pycocotools gives bytes counts, and a dense
    ``(H, W)`` array is encoded; anything else is written as it is (the evaluator checks it)."""
    if sample.task != "vt_res":
        return prediction
    where = f"prediction for sample {sample.id}"
    if isinstance(prediction, (dict, np.ndarray)):
        return to_rle(prediction, sample.height, sample.width, where)
    if isinstance(prediction, list) and all(isinstance(m, (dict, np.ndarray)) for m in prediction):
        return [to_rle(m, sample.height, sample.width, where) for m in prediction]
    return prediction


def _done_ids(path: Path) -> set[str]:
    """Ids already predicted; truncates a last line that a crash left without its newline."""
    done: set[str] = set()
    keep = 0
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.endswith(b"\n"):
                break
            try:
                entry = json.loads(raw)
            except ValueError:
                raise SubmissionError(
                    "cannot resume: a line is not JSON", where=f"{path}, line {number}"
                ) from None
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                done.add(entry["id"])
            keep += len(raw)
    with open(path, "r+b") as handle:
        handle.truncate(keep)
    return done


def predict_release(
    release: Release | str | Path,
    predictor: Predictor,
    predictions_path: str | Path,
    tasks: list[str] | None = None,
    resume: bool = True,
    progress: bool = True,
) -> Path:
    release = release if isinstance(release, Release) else Release(release)
    path = output_file(predictions_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    done = _done_ids(path) if resume and path.exists() else set()
    tasks = list(tasks or release.tasks)
    total = sum(release.count(t) for t in tasks)
    with (
        open(path, "a" if done else "w", encoding="utf-8") as out,
        tqdm(total=total, initial=len(done), desc="predicting", disable=not progress) as bar,
    ):
        for task in tasks:
            for sample in release.samples(task, with_image=True):
                if sample.id in done:
                    continue
                prediction: Any = _json_masks(predictor.predict(sample), sample)
                out.write(json.dumps({"id": sample.id, "prediction": prediction}) + "\n")
                out.flush()
                bar.update()
    return path


def predict_and_evaluate(
    release: Release | str | Path,
    predictor: Predictor,
    predictions_path: str | Path,
    model: str,
    revision: str | None = None,
    protocol: str = "strict",
    out_dir: str | Path | None = None,
    tasks: list[str] | None = None,
    resume: bool = True,
    progress: bool = True,
) -> dict[str, Any]:
    release = release if isinstance(release, Release) else Release(release)
    predict_release(release, predictor, predictions_path, tasks, resume, progress)
    return evaluate(
        release,
        predictions_path,
        model,
        revision=revision,
        protocol=protocol,
        out_dir=out_dir,
        tasks=tasks,
        progress=progress,
    )
