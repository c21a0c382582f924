"""Across the packages: build -> review log -> release -> predictions -> strict scores.

Each package is tested alone in its own folder; this checks the formats that cross between
them: the builders' circular MCQ rotations reach the strict evaluator's circular accuracy, a
reviewer's edit reaches the released sample, and a perfect predictor scores perfectly.
"""

from __future__ import annotations

from builders.build import build_store
from builders.synthetic import write_coco_source
from evaluators.predictor import predict_and_evaluate
from perbench.masks import union_rle
from perbench.release import Release, release_from_store
from perbench.schema import OPTION_LETTERS, Sample
from perbench.sources import ImgvizReader
from perbench.sources.coco import CocoReader
from perbench.store import CandidateStore


class Oracle:
    """Answers from the release itself, except one chosen rotation of one MCQ group."""

    def __init__(self, wrong_id: str | None = None):
        self.wrong_id = wrong_id

    def predict(self, sample: Sample):
        if sample.task == "description":
            return sample.references[0]
        if sample.task == "mcq":
            answer = (
                (sample.answer + 1) % len(sample.options)
                if sample.id == self.wrong_id
                else sample.answer
            )
            return OPTION_LETTERS[answer]
        return union_rle(sample.targets, sample.height, sample.width) if sample.targets else None


def test_build_review_release_and_score(tmp_path):
    store_path = tmp_path / "build.sqlite"
    # The VOC photo is not exhaustively annotated, so it yields no V-T RES text: a few generated,
    # fully annotated COCO-format scenes, declared so, supply them.
    instances, images, _ = write_coco_source(tmp_path / "coco", 3, size=(320, 240), seed=0)
    readers = [ImgvizReader(("voc",)), CocoReader(instances, images)]
    config = {"mcq_rotations": True, "exhaustive_sources": {"coco": True}}
    summary = build_store(readers, store_path, config=config, progress=False)
    assert summary
    store = CandidateStore(store_path)
    ids = store.candidate_ids()
    mcq = [store.candidate(i, with_image=False) for i in store.candidate_ids("mcq")]
    group = mcq[0].meta["circular"]["group"]
    rotations = [s for s in mcq if s.meta["circular"]["group"] == group]
    assert sorted(s.meta["circular"]["rotation"] for s in rotations) == [0, 1, 2, 3]
    assert len({tuple(s.options) for s in rotations}) == 4

    description_id = store.candidate_ids("description")[0]
    for sample_id in ids:
        if sample_id == description_id:
            store.record(sample_id, "alice", "edit_accept", after={"references": ["edited text"]})
        else:
            store.record(sample_id, "alice", "accept")
    release = Release(release_from_store(store, tmp_path / "rel", "pb", "1.0", progress=False))
    assert release.sample(description_id).references == ["edited text"]

    perfect = predict_and_evaluate(
        release, Oracle(), tmp_path / "perfect.jsonl", model="oracle", progress=False
    )
    metrics = perfect["metrics"]
    assert metrics["mcq"]["accuracy"] == 1.0 and metrics["mcq"]["circular_accuracy"] == 1.0
    assert metrics["vt_res"]["ciou"] == 1.0 and metrics["vt_res"]["giou"] == 1.0

    wrong = rotations[2].id
    one_miss = predict_and_evaluate(
        release, Oracle(wrong), tmp_path / "miss.jsonl", model="oracle-miss", progress=False
    )
    groups = one_miss["metrics"]["mcq"]["circular_groups"]
    assert one_miss["metrics"]["mcq"]["circular_accuracy"] == (groups - 1) / groups
    assert one_miss["metrics"]["mcq"]["accuracy"] > one_miss["metrics"]["mcq"]["circular_accuracy"]
