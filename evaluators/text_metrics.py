"""Description metrics: METEOR under the two protocols.

API:
  official_meteor(prediction, reference, wordnet) -> float   the authors' NLTK call
  OfficialMeteor    NLTK METEOR per sample, averaged (state: score sum, count)
  StrictMeteor      METEOR 1.5, all references; corpus score + per-sample mean
                    (state: summed statistics, score sum, count)

official: ``meteor_score([prediction.split()], reference.split())``, i.e. the *prediction* is
NLTK's reference and the ground truth its hypothesis (the authors' argument order), whitespace
tokens, WordNet 3.0; the release's first reference is the ground truth (the authors' data has
one per object). A missing prediction is the empty string (score 0).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from evaluators.meteor_jvm import MeteorJVM
from evaluators.metric import Metric, State
from perbench.schema import Sample

METEOR_STATS = 23  # length of a METEOR 1.5 statistics line


def official_meteor(prediction: str, reference: str, wordnet) -> float:
    """The authors' per-sample METEOR (note the swapped argument order, kept on purpose)."""
    from nltk.translate.meteor_score import meteor_score

    return float(meteor_score([prediction.split()], reference.split(), wordnet=wordnet))


class OfficialMeteor(Metric):
    task = "description"
    name = "meteor_nltk"

    def __init__(self) -> None:
        super().__init__()
        self._wordnet = None

    def initial_state(self) -> State:
        return {"score_sum": Fraction(0), "count": 0}

    def update(self, sample: Sample, prediction: str | None) -> dict[str, Any]:
        if self._wordnet is None:
            from evaluators.wordnet import wordnet_reader

            self._wordnet = wordnet_reader()
        score = official_meteor(prediction or "", sample.references[0], self._wordnet)
        self.state["score_sum"] += Fraction(score)
        self.state["count"] += 1
        return {"meteor": score}

    def result(self) -> dict[str, Any]:
        count = self.state["count"]
        return {"meteor": float(self.state["score_sum"] / count) if count else None}


class StrictMeteor(Metric):
    task = "description"
    name = "meteor_1.5"

    def __init__(self) -> None:
        super().__init__()
        self._jvm: MeteorJVM | None = None

    @property
    def jvm(self) -> MeteorJVM:
        if self._jvm is None:
            self._jvm = MeteorJVM()
        return self._jvm

    def initial_state(self) -> State:
        return {
            "stats_sum": [Fraction(0)] * METEOR_STATS,
            "score_sum": Fraction(0),
            "count": 0,
        }

    def update(self, sample: Sample, prediction: str | None) -> dict[str, Any]:
        stats = self.jvm.stats(prediction or "", sample.references)
        if len(stats) != METEOR_STATS:
            raise ValueError(f"METEOR 1.5 returned {len(stats)} statistics, not {METEOR_STATS}")
        score = self.jvm.scores([stats])[0][0]
        self.state["stats_sum"] = [
            total + Fraction(v) for total, v in zip(self.state["stats_sum"], stats, strict=True)
        ]
        self.state["score_sum"] += Fraction(score)
        self.state["count"] += 1
        return {"meteor": score}

    def result(self) -> dict[str, Any]:
        count = self.state["count"]
        if not count:
            return {"meteor": None, "meteor_sample_mean": None}
        corpus = self.jvm.scores([[float(v) for v in self.state["stats_sum"]]])[1]
        return {"meteor": corpus, "meteor_sample_mean": float(self.state["score_sum"] / count)}

    def close(self) -> None:
        if self._jvm is not None:
            self._jvm.close()
            self._jvm = None
