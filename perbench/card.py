"""The dataset card (README.md) of a release: Hugging Face YAML metadata + a short description.

API:
  CardFacts(name, version, counts, licenses, sources=(), fingerprint=None, audit=None,
            completeness={}, review_error=None)  ``completeness``: the build's
            declarations (builders.completeness)
      the manifest-level facts a card states; ``fingerprint`` (the release fingerprint, or a
      blank one to stamp later), ``audit`` (the validity audit's Markdown section, with any
      gate override) and ``review_error`` (task -> the spot check's "estimated error after
      review: ..." sentence, perbench.spot_check) are optional so each step passes what it has
  card_metadata(facts) -> dict       the YAML block (``configs`` + Hub metadata)
  dataset_card(facts) -> str         the whole README.md
  completeness_section(completeness) -> str   the card's Markdown table of declarations
  size_category(total) -> str        the Hub's size bucket for ``total`` samples

Metadata values come from the Hub's documented lists (huggingface.co/docs/hub/datasets-cards):
``task_categories`` are Hub task ids, ``size_categories`` its buckets. Source licences are
free text; when every one starts with the same licence id the Hub knows, that id is the card's
``license``, otherwise ``license: other`` with the texts in ``license_details``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from perbench.provenance import FINGERPRINT_LINE
from perbench.schema import TASKS

TASK_CATEGORIES = {
    "description": "image-to-text",
    "mcq": "visual-question-answering",
    "vt_res": "image-segmentation",
}
SIZE_BUCKETS = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
)
HUB_LICENSES = {
    "mit",
    "apache-2.0",
    "cc0-1.0",
    "cc-by-4.0",
    "cc-by-sa-4.0",
    "cc-by-nc-4.0",
    "cc-by-nc-sa-4.0",
    "bsd-3-clause",
}
TAGS = [
    "pixel-grounding",
    "visual-prompting",
    "region-captioning",
    "referring-segmentation",
    "multiple-choice",
    "benchmark",
]
CITATION = """@article{zhang2025pixelsail,
  title   = {Pixel-SAIL: Single Transformer For Pixel-Grounded Understanding},
  author  = {Zhang, Tao and Li, Xiangtai and others},
  journal = {arXiv preprint arXiv:2504.10465},
  year    = {2025}
}"""


@dataclass(frozen=True)
class CardFacts:
    name: str
    version: str
    counts: Mapping[str, int]
    licenses: Sequence[str]
    sources: Sequence[str] = ()
    fingerprint: str | None = None
    audit: str | None = None
    review_error: Mapping[str, str] | None = None
    tags: Sequence[str] = field(default_factory=lambda: list(TAGS))
    completeness: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def size_category(total: int) -> str:
    for limit, bucket in SIZE_BUCKETS:
        if total < limit:
            return bucket
    return "1B<n<10B"  # a benchmark past that is not expected


def _license(licenses: Sequence[str]) -> dict[str, Any]:
    ids = {(re.match(r"[A-Za-z0-9.\-]+", text) or [""])[0].lower() for text in licenses}
    if len(ids) == 1 and next(iter(ids)) in HUB_LICENSES:
        return {"license": ids.pop()}
    details = "; ".join(licenses) or "see manifest.json"
    return {"license": "other", "license_name": "source-licences", "license_details": details}


def card_metadata(facts: CardFacts) -> dict[str, Any]:
    tasks = [task for task in TASKS if facts.counts.get(task)]
    return {
        "configs": [
            {
                "config_name": task,
                "data_files": [{"split": "test", "path": f"{task}/*.parquet"}],
            }
            for task in tasks
        ],
        "pretty_name": f"{facts.name} {facts.version}",
        **_license(facts.licenses),
        "task_categories": sorted({TASK_CATEGORIES[task] for task in tasks}),
        "language": ["en"],
        "size_categories": [size_category(sum(facts.counts.get(t, 0) for t in TASKS))],
        "tags": list(facts.tags),
        "source_datasets": [f"extended|{source}" for source in sorted(set(facts.sources))],
    }


def completeness_section(completeness: Mapping[str, Mapping[str, Any]]) -> str:
    """Which sources the build declared exhaustively annotated, and by whom (Markdown)."""
    if not completeness:
        return ""
    rows = []
    for source, entry in sorted(completeness.items()):
        by = "not declared" if entry.get("by") == "none" else str(entry.get("by"))
        if entry.get("as"):
            by += f" (as {entry['as']})"
        state = {True: "yes", False: "no"}.get(entry.get("exhaustive"), "per image")
        rows.append(f"| `{source}` | {state} | {by} | {entry.get('note', '')} |")
    return (
        '## Completeness\n\nCounts, "nearest", "every" and no-target items were drafted only '
        "where a source was declared exhaustively annotated (else they carry a reviewer check "
        "in `meta.needs`).\n\n| source | exhaustive | declared by | note |\n"
        "| --- | --- | --- | --- |\n" + "\n".join(rows) + "\n\n"
    )


def _review_error(facts: CardFacts) -> str:
    if not facts.review_error:
        return ""
    lines = [f"- `{task}`: {text}" for task, text in facts.review_error.items()]
    return (
        "## Residual error\n\nA second reviewer re-checked a random sample of accepted items, "
        "blind to the first decision (95% Wilson interval, in percent):\n\n"
        + "\n".join(lines)
        + "\n\n"
    )


def dataset_card(facts: CardFacts) -> str:
    metadata = yaml.safe_dump(card_metadata(facts), sort_keys=False, allow_unicode=True)
    rows = "\n".join(f"| `{task}` | {facts.counts.get(task, 0)} |" for task in TASKS)
    fingerprint = f"{FINGERPRINT_LINE}`{facts.fingerprint}`\n\n" if facts.fingerprint else ""
    return (
        f"---\n{metadata}---\n\n"
        f"# {facts.name} {facts.version}\n\nA PerBench release (pixel-grounded understanding: "
        "detailed object description, visual-prompt multiple-choice questions, visual-text "
        "referring segmentation), written by the perbench suite.\n\n"
        f"| task | samples |\n| --- | --- |\n{rows}\n\n"
        "Masks are COCO compressed RLE (`size`, `counts`). `source` and `meta` are JSON "
        "strings. Sources and licences: "
        + ", ".join(facts.licenses or ["see manifest.json"])
        + ".\n\n"
        '```python\nimport datasets\nmcq = datasets.load_dataset("parquet", '
        'data_files="mcq/*.parquet", split="train")\n```\n\n'
        "`manifest.json` lists the sha256 of every file; `perbench release verify` checks "
        f"them.\n\n{fingerprint}"
        + completeness_section(facts.completeness)
        + _review_error(facts)
        + (f"{facts.audit.strip()}\n\n" if facts.audit else "")
        + f"## Citation\n\n```bibtex\n{CITATION}\n```\n"
    )
