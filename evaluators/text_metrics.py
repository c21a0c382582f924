"""Description metrics: METEOR under the two protocols (+ the authors' BLEU and CIDEr).

API:
  official_meteor(prediction, reference, wordnet) -> float   the authors' NLTK call
  OfficialMeteor    description post-processed as the authors' script does; NLTK METEOR and
                    BLEU per sample, averaged; corpus CIDEr (state: score sums, count, and each
                    sample's {id: [prediction, truth]} for CIDEr's document frequencies)
  StrictMeteor      METEOR 1.5, all references; corpus score + per-sample mean
                    (state: each sample's statistics line {id: line}, score sum, count,
                    {id: 1} of the samples scored as an empty answer)

official: ``meteor_score([prediction.split()], reference.split())``, i.e. the *prediction* is
NLTK's reference and the ground truth its hypothesis (the authors' argument order), whitespace
tokens, WordNet 3.0; the release's first reference is the ground truth (the authors' data has
one per object). A missing prediction is the empty string (score 0).

strict: one sample never loses the run. A prediction over METEOR's bounds
(``meteor_jvm.too_long``) is refused before scoring, and one on which the scorer fails is
isolated (the scorer restarts); either is scored as the empty answer and named in the results
(``unscored``, ``unscored_ids``) and in its per-sample row (``unscored``: why).

Both states keep per-sample entries keyed by sample id; shards hold disjoint ids, so a merge is
their union, and ``result()`` walks them in id order, so a merged run sends the scorers exactly
what a single run sends.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from evaluators.caption_metrics import official_bleu, official_cider, official_postprocess
from evaluators.meteor_jvm import MeteorFailed, MeteorJVM, too_long
from evaluators.metric import Metric, State
from perbench.errors import PerBenchError
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
        return {"meteor_sum": Fraction(0), "bleu_sum": Fraction(0), "count": 0, "texts": {}}

    def update(self, sample: Sample, prediction: str | None) -> dict[str, Any]:
        if self._wordnet is None:
            from evaluators.wordnet import wordnet_reader

            self._wordnet = wordnet_reader()
        text = official_postprocess(prediction or "")
        truth = sample.references[0]
        score = official_meteor(text, truth, self._wordnet)
        bleu = official_bleu(text, truth)
        self.state["meteor_sum"] += Fraction(score)
        self.state["bleu_sum"] += Fraction(bleu)
        self.state["count"] += 1
        self.state["texts"][sample.id] = [text, truth]
        return {"meteor": score, "bleu": bleu}

    def result(self) -> dict[str, Any]:
        count = self.state["count"]
        if not count:
            return {"meteor": None, "bleu": None, "cider": None}
        pairs = [self.state["texts"][key] for key in sorted(self.state["texts"])]
        return {
            "meteor": float(self.state["meteor_sum"] / count),
            "bleu": float(self.state["bleu_sum"] / count),
            "cider": official_cider([p for p, _ in pairs], [t for _, t in pairs]),
        }


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
        return {"lines": {}, "score_sum": Fraction(0), "count": 0, "unscored": {}}

    def _stats(self, hypothesis: str, sample: Sample) -> str:
        line = self.jvm.stats(hypothesis, sample.references)
        if len(line.split()) != METEOR_STATS:
            raise MeteorFailed(f"METEOR 1.5 returned {line!r}, not {METEOR_STATS} statistics")
        return line

    def update(self, sample: Sample, prediction: str | None) -> dict[str, Any]:
        text = prediction or ""
        unscored = too_long(text)
        if unscored is None:
            try:
                line = self._stats(text, sample)
            except MeteorFailed as exc:
                unscored = f"the scorer failed on it: {exc}"
        if unscored is not None:
            try:
                line = self._stats("", sample)
            except MeteorFailed as exc:
                raise PerBenchError(
                    f"METEOR 1.5 cannot score even an empty answer: {exc}",
                    where=f"sample {sample.id}",
                    hint="check this sample's references in the release",
                ) from None
            self.state["unscored"][sample.id] = 1
        score = self.jvm.scores([line])[0][0]
        self.state["lines"][sample.id] = line
        self.state["score_sum"] += Fraction(score)
        self.state["count"] += 1
        record: dict[str, Any] = {"meteor": score}
        if unscored is not None:
            record["unscored"] = f"scored as an empty answer: {unscored}"
        return record

    def result(self) -> dict[str, Any]:
        count = self.state["count"]
        unscored = sorted(self.state.get("unscored", {}))
        counts = {"unscored": len(unscored), "unscored_ids": unscored}
        if not count:
            return {"meteor": None, "meteor_sample_mean": None, **counts}
        lines = [self.state["lines"][key] for key in sorted(self.state["lines"])]
        corpus = self.jvm.scores(lines)[1]
        return {
            "meteor": corpus,
            "meteor_sample_mean": float(self.state["score_sum"] / count),
            **counts,
        }

    def close(self) -> None:
        if self._jvm is not None:
            self._jvm.close()
            self._jvm = None
