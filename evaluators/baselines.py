"""Baselines every release can be scored against, so a leaderboard always has a floor.

API:
  BASELINES[name] -> (task, factory(release) -> Predictor)
  run_baselines(release_path, out_dir, protocol="strict") -> list[Path]   results files
      writes ``out_dir/predictions/<name>.jsonl`` and ``out_dir/<stem>.results.json`` (+ rows)

  empty-mask        vt_res       no mask at all (null)
  whole-image       vt_res       the mask of every pixel
  prompt-mask       vt_res       the prompt masks themselves, as if the text named them
  always-a          mcq          "A"
  majority-letter   mcq          the release's most common correct letter (ties: earliest)
  category-name     description  the prompt object's category name (``meta["category"]``)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from evaluators.api import evaluate, open_release
from evaluators.predictor import Predictor, predict_release
from evaluators.results import RESULTS_SUFFIX, results_stem
from perbench.masks import RLE, full_rle
from perbench.outputs import output_folder
from perbench.release import Release
from perbench.schema import OPTION_LETTERS, Sample

BASELINE_PREFIX = "baseline: "


class EmptyMask:
    def predict(self, sample: Sample) -> None:
        return None


class WholeImage:
    def predict(self, sample: Sample) -> RLE:
        return full_rle(sample.height, sample.width)


class PromptMask:
    def predict(self, sample: Sample) -> list[RLE]:
        return [prompt["mask"] for prompt in sample.prompts]


class FixedLetter:
    def __init__(self, letter: str):
        self.letter = letter

    def predict(self, sample: Sample) -> str:
        return self.letter


class CategoryName:
    def predict(self, sample: Sample) -> str:
        return str(sample.meta.get("category") or "object")


def majority_letter(release: Release) -> FixedLetter:
    counts = Counter(OPTION_LETTERS[s.answer] for s in release.samples("mcq"))
    best = max(counts.values(), default=0)
    return FixedLetter(min(letter for letter, n in counts.items() if n == best) if best else "A")


BASELINES: dict[str, tuple[str, Callable[[Release], Predictor]]] = {
    "empty-mask": ("vt_res", lambda release: EmptyMask()),
    "whole-image": ("vt_res", lambda release: WholeImage()),
    "prompt-mask": ("vt_res", lambda release: PromptMask()),
    "always-a": ("mcq", lambda release: FixedLetter("A")),
    "majority-letter": ("mcq", majority_letter),
    "category-name": ("description", lambda release: CategoryName()),
}


def run_baselines(
    release_path: str | Path, out_dir: str | Path, protocol: str = "strict", progress: bool = True
) -> list[Path]:
    """Predict and score every baseline whose task the release has; the results files."""
    out_dir = output_folder(out_dir)
    release = open_release(release_path, verify=True)
    written = []
    for name, (task, factory) in BASELINES.items():
        if task not in release.tasks:
            continue
        model = BASELINE_PREFIX + name
        predictions = out_dir / "predictions" / f"{name}.jsonl"
        predict_release(
            release, factory(release), predictions, [task], resume=False, progress=progress
        )
        evaluate(
            release,
            predictions,
            model,
            protocol=protocol,
            out_dir=out_dir,
            tasks=[task],
            verify=False,
            progress=progress,
        )
        written.append(
            out_dir / f"{results_stem(model, release.version, protocol)}{RESULTS_SUFFIX}"
        )
    return written
