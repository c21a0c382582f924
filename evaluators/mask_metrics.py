"""V-T RES (referring segmentation) metrics under the two protocols, computed on RLE.

API:
  official_pair(prediction, target) -> (I, U, pair IoU)   pair IoU = I/(U+1e-5) (+1 if U = 0)
  strict_sample(prediction, targets, h, w) -> (I, U, predicted area, target area)  (unions)
  OfficialVTRes  first predicted mask vs first target; gIoU = sum pair IoU / number of target
                 masks, cIoU = sum I / (sum U + 1e-10) (``STBench.evaluate`` of the authors'
                 ``stbench_vres_eval.py``)
  StrictVTRes    union vs union; empty vs empty = IoU 1; gIoU = mean IoU, cIoU = sum I / sum U;
                 precision at IoU 0.5/0.7/0.9; N-acc / T-acc when the release has no-target
                 samples (gRefCOCO: N-acc = no-target samples predicted empty / no-target
                 samples, T-acc = target samples predicted non-empty / target samples)

Predictions arrive as a list of RLE (possibly empty) or ``None`` when the sample is missing.
Under strict a missing prediction is the empty mask and never earns the empty-vs-empty point
(a missing answer is wrong even where the right answer is "nothing"). Under official a None
prediction (missing, null or no mask) is *skipped* as ``STBench.evaluate`` skips it: nothing is
added to sum I or sum U, but its targets still count in the gIoU denominator. A sample without
targets crashes the authors' code; official leaves it out and reports how many
(``no_target_excluded``).
Abbreviations: I intersection area, U union area (pixels).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from evaluators.metric import Metric, State
from perbench.masks import RLE, areas_and_intersection, intersection_and_union, union_rle
from perbench.schema import Sample

THRESHOLDS = (0.5, 0.7, 0.9)


def official_pair(prediction: RLE, target: RLE) -> tuple[int, int, float]:
    """The authors' per-pair numbers for one predicted and one target mask."""
    inter, union = intersection_and_union(prediction, target)
    pair_iou = inter / (union + 1e-5) + (1.0 if union == 0 else 0.0)
    return inter, union, pair_iou


def strict_sample(
    prediction: list[RLE], targets: list[RLE], height: int, width: int
) -> tuple[int, int, int, int]:
    """I and U of the union of predicted masks against the union of targets, and both areas."""
    predicted = union_rle(prediction, height, width)
    target = union_rle(targets, height, width)
    predicted_area, target_area, inter = areas_and_intersection(predicted, target)
    return inter, predicted_area + target_area - inter, predicted_area, target_area


class OfficialVTRes(Metric):
    task = "vt_res"
    name = "vtres_first_mask"

    def initial_state(self) -> State:
        return {
            "intersection": 0,
            "union": 0,
            "pair_iou_sum": Fraction(0),
            "target_masks": 0,
            "skipped": 0,
            "no_target": 0,
        }

    def update(self, sample: Sample, prediction: list[RLE] | None) -> dict[str, Any]:
        if not sample.targets:
            self.state["no_target"] += 1
            return {"iou": None, "intersection": 0, "union": 0, "excluded": True}
        self.state["target_masks"] += len(sample.targets)
        if not prediction:
            self.state["skipped"] += 1
            return {"iou": 0.0, "intersection": 0, "union": 0, "skipped": True}
        inter, union, pair_iou = official_pair(prediction[0], sample.targets[0])
        self.state["intersection"] += inter
        self.state["union"] += union
        self.state["pair_iou_sum"] += Fraction(pair_iou)
        return {"iou": pair_iou, "intersection": inter, "union": union, "skipped": False}

    def result(self) -> dict[str, Any]:
        masks = self.state["target_masks"]
        counts = {
            "skipped_none": self.state["skipped"],
            "no_target_excluded": self.state["no_target"],
        }
        if not masks:
            return {"ciou": None, "giou": None, **counts}
        return {
            "ciou": self.state["intersection"] / (self.state["union"] + 1e-10),
            "giou": float(self.state["pair_iou_sum"] / masks),
            **counts,
        }


class StrictVTRes(Metric):
    task = "vt_res"
    name = "vtres_union"

    def initial_state(self) -> State:
        return {
            "intersection": 0,
            "union": 0,
            "iou_sum": Fraction(0),
            "count": 0,
            "precision_hits": [0] * len(THRESHOLDS),
            "no_target": 0,
            "no_target_empty": 0,
            "target": 0,
            "target_nonempty": 0,
        }

    def update(self, sample: Sample, prediction: list[RLE] | None) -> dict[str, Any]:
        inter, union, predicted_area, target_area = strict_sample(
            prediction or [], sample.targets, sample.height, sample.width
        )
        answered = prediction is not None
        iou = inter / union if union else float(answered)
        state = self.state
        state["intersection"] += inter
        state["union"] += union
        state["iou_sum"] += Fraction(iou)
        state["count"] += 1
        state["precision_hits"] = [
            hits + int(iou >= t)
            for hits, t in zip(state["precision_hits"], THRESHOLDS, strict=True)
        ]
        if target_area:
            state["target"] += 1
            state["target_nonempty"] += int(answered and predicted_area > 0)
        else:
            state["no_target"] += 1
            state["no_target_empty"] += int(answered and predicted_area == 0)
        return {"iou": iou, "intersection": inter, "union": union, "missing": not answered}

    def result(self) -> dict[str, Any]:
        state = self.state
        count = state["count"]
        if not count:
            return {"ciou": None, "giou": None}
        result = {
            "ciou": state["intersection"] / state["union"] if state["union"] else 1.0,
            "giou": float(state["iou_sum"] / count),
        }
        for threshold, hits in zip(THRESHOLDS, state["precision_hits"], strict=True):
            result[f"precision@{threshold}"] = hits / count
        result["n_acc"] = (
            state["no_target_empty"] / state["no_target"] if state["no_target"] else None
        )
        result["t_acc"] = state["target_nonempty"] / state["target"] if state["target"] else None
        return result
