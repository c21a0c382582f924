"""PerBench task functions for lmms-eval: prompts in, the project's own metrics out.

API (what an exported task folder's ``utils.py`` re-exports; lmms-eval is never imported here):
  configure(protocol)                 "strict" (default) or "official"
  doc_to_visual(doc) -> [PIL image]   the marked image (prompt regions outlined and labelled);
                                      models that take masks read ``doc["prompts"]`` (RLE) instead
  doc_to_text(doc) -> str             description / V-T RES: the question (+ the answer format
                                      for V-T RES); MCQ: ``perbench.prompts.format_mcq_prompt``
  doc_to_target(doc) -> str           the sample id (the score needs the whole row)
  process_results(doc, results) -> {metric: item}
      one sample scored by the protocol's metric; each item is that sample's sum-reducible
      state ``{"task", "state"}`` (JSON-ready), so aggregations add states exactly as
      ``perbench evaluate --merge`` does
  aggregate_meteor / aggregate_accuracy / aggregate_ciou / aggregate_giou (items) -> float
      in percent, all four (the results JSON of ``perbench evaluate`` keeps fractions)
  aggregate_not_json(items) -> int    V-T RES answers that were not JSON masks of the image
  aggregate_score(items) -> float     the task's part of Overall in percent: 100*METEOR,
                                      100*accuracy, or mean(100*cIoU, 100*gIoU); the group's
                                      mean of the three is Overall
  parse_prediction(task, text, height, width) -> prediction as ``perbench evaluate`` reads it
                                      (for V-T RES, masks or ``submission.NotMasks``)

lmms-eval 0.7.3 calls ``process_results`` from a thread pool: one lock serialises the shared
metric (and its METEOR process), so concurrent calls cannot interleave on its pipe.
A V-T RES answer is JSON text: an RLE, a list of RLE, or null. Text that is not JSON, or not
a mask of the image's size, is scored as a missing prediction and counted by the task's
``not_json`` metric, as ``perbench evaluate`` counts it in ``counts.not_json``.
"""

from __future__ import annotations

import atexit
import threading
from typing import Any

import numpy as np

from evaluators.metric import Metric, state_from_json, state_to_json
from evaluators.protocols import make_metrics
from evaluators.submission import NotMasks, masks_from_text
from perbench.prompts import format_mcq_prompt
from perbench.release import sample_from_row
from perbench.render import draw_regions

VT_RES_FORMAT = (
    'Answer with the mask of the object(s) as JSON: a COCO RLE {"size": [h, w], "counts": '
    '"..."}, a list of them, or null if nothing matches.'
)
METRIC_NAMES = {
    "description": ("meteor", "perbench_score"),
    "mcq": ("accuracy", "perbench_score"),
    "vt_res": ("ciou", "giou", "perbench_score", "not_json"),
}
_settings = {"protocol": "strict"}
_metrics: dict[str, Metric] = {}
_lock = threading.Lock()


def _close() -> None:
    for metric in _metrics.values():
        metric.close()
    _metrics.clear()


def configure(protocol: str) -> None:
    with _lock:
        _close()
        _settings["protocol"] = protocol


atexit.register(_close)  # the METEOR process ends with the interpreter


def _metric(task: str) -> Metric:
    if task not in _metrics:
        _metrics[task] = make_metrics(_settings["protocol"], [task])[task]
    return _metrics[task]


def _sample(doc: dict[str, Any]):
    row = {k: v for k, v in doc.items() if k not in ("image", "image_marked")}
    return sample_from_row(row, with_image=False)


def doc_to_visual(doc: dict[str, Any]) -> list:
    from PIL import Image

    if doc.get("image_marked") is not None:
        return [doc["image_marked"].convert("RGB")]
    pixels = np.asarray(doc["image"].convert("RGB"))
    return [Image.fromarray(draw_regions(pixels, doc["prompts"]))]


def doc_to_text(doc: dict[str, Any]) -> str:
    sample = _sample(doc)
    if sample.task == "mcq":
        return format_mcq_prompt(sample)
    if sample.task == "vt_res":
        return f"{sample.question.strip()}\n{VT_RES_FORMAT}"
    return sample.question


def doc_to_target(doc: dict[str, Any]) -> str:
    return doc["id"]


def parse_prediction(task: str, text: str, height: int, width: int) -> Any:
    return masks_from_text(text, (height, width)) if task == "vt_res" else text


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, dict[str, Any]]:
    sample = _sample(doc)
    text = results[0] if results else ""
    prediction = parse_prediction(sample.task, text, sample.height, sample.width)
    not_json = isinstance(prediction, NotMasks)
    with _lock:
        metric = _metric(sample.task)
        metric.state = metric.initial_state()
        metric.update(sample, None if not_json else prediction)
        item = {"task": sample.task, "state": state_to_json(metric.state), "not_json": not_json}
    return {name: item for name in METRIC_NAMES[sample.task]}


def _result(items: list[dict[str, Any]]) -> dict[str, Any]:
    with _lock:
        metric = _metric(items[0]["task"])
        metric.state = metric.initial_state()
        for item in items:
            metric.merge(state_from_json(item["state"]))
        return metric.result()


def aggregate_meteor(items: list[dict[str, Any]]) -> float:
    return 100 * _result(items)["meteor"]


def aggregate_accuracy(items: list[dict[str, Any]]) -> float:
    return 100 * _result(items)["accuracy"]


def aggregate_ciou(items: list[dict[str, Any]]) -> float:
    return 100 * _result(items)["ciou"]


def aggregate_giou(items: list[dict[str, Any]]) -> float:
    return 100 * _result(items)["giou"]


def aggregate_not_json(items: list[dict[str, Any]]) -> int:
    return sum(bool(item.get("not_json")) for item in items)


def aggregate_score(items: list[dict[str, Any]]) -> float:
    result = _result(items)
    task = items[0]["task"]
    if task == "description":
        return 100 * result["meteor"]
    if task == "mcq":
        return 100 * result["accuracy"]
    return (100 * result["ciou"] + 100 * result["giou"]) / 2
