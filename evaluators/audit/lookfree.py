"""The METEOR a "look-free" description earns: text written from the prompt mask's geometry
alone (where it is, how big, what shape), with no category and no pixel looked at.

API:
  lookfree_text(prompt_mask, width, height) -> str     prompt_mask: RLE of the image's size
  lookfree_meteor(samples, meteor="nltk", progress=False) -> dict
    {"metric", "value", "n", "ci95", "example"} or {"metric", "value": None, "skipped": why}

``nltk``: the official protocol's per-sample METEOR (evaluators.text_metrics.official_meteor,
first reference), averaged with a 95% interval. ``java``: METEOR 1.5 against all references
(the strict protocol's scorer, one JVM), corpus score plus the per-sample mean's interval; it
starts Java, so large audits may prefer ``nltk``. ``none`` skips the figure. A high figure means
the metric pays for template wording a model can write without looking.
"""

from __future__ import annotations

from typing import Any

from tqdm import tqdm

from evaluators.audit.stats import mean_figure
from perbench.errors import PerBenchError
from perbench.masks import RLE, area, bbox
from perbench.schema import Sample

ROWS = ("top", "middle", "bottom")
COLUMNS = ("left", "center", "right")


def lookfree_text(prompt_mask: RLE, width: int, height: int) -> str:
    x, y, w, h = bbox(prompt_mask)
    fraction = float(area(prompt_mask)) / max(1, width * height)
    size = "small" if fraction < 0.02 else "medium-sized" if fraction < 0.15 else "large"
    column = COLUMNS[min(2, int((x + w / 2) / max(1, width) * 3))]
    row = ROWS[min(2, int((y + h / 2) / max(1, height) * 3))]
    where = "center" if (row, column) == ("middle", "center") else f"{row} {column}"
    shape = "tall" if h > 1.5 * w else "wide" if w > 1.5 * h else "compact"
    return (
        f"The object is a {size} object in the {where} of the image. It has a {shape} shape "
        f"and is seen clearly in the image."
    )


def lookfree_meteor(
    samples: list[Sample], meteor: str = "nltk", progress: bool = False
) -> dict[str, Any]:
    chosen = [s for s in samples if s.task == "description" and s.references and s.prompts]
    if meteor == "none" or not chosen:
        reason = "not asked (--meteor none)" if meteor == "none" else "no descriptions"
        return {"metric": meteor, "value": None, "n": 0, "skipped": reason}
    texts = [lookfree_text(s.prompts[0]["mask"], s.width, s.height) for s in chosen]
    try:
        if meteor == "java":
            from evaluators.meteor_jvm import meteor15

            corpus, scores = meteor15(texts, [s.references or [] for s in chosen])
            figure = {**mean_figure(scores), "corpus": corpus}
        else:
            from evaluators.text_metrics import official_meteor
            from evaluators.wordnet import wordnet_reader

            wordnet = wordnet_reader()
            scores = [
                official_meteor(text, s.references[0], wordnet)
                for text, s in tqdm(
                    list(zip(texts, chosen, strict=True)),
                    desc="look-free METEOR",
                    disable=not progress,
                    unit="sample",
                )
                if s.references
            ]
            figure = mean_figure(scores)
    except PerBenchError as exc:
        return {"metric": meteor, "value": None, "n": 0, "skipped": str(exc)}
    return {"metric": meteor, **figure, "example": texts[0]}
