"""Rows *reported* in the Pixel-SAIL paper (Table 3), shown on the leaderboard as reported.

API:
  PAPER, PAPER_CITATION       where the numbers come from
  PAPER_ROWS                  [{"model", "meteor", "accuracy", "ciou", "giou", "overall"}]

Values as printed, in percent (the paper prints accuracy as a fraction, 0.74 here is 74.0).
They were measured by the authors on their PerBench with their scripts (the ``official``
protocol); they are never ranked together with rows reproduced here.
"""

from __future__ import annotations

PAPER = "Pixel-SAIL (arXiv 2504.10465), Table 3"
PAPER_CITATION = (
    "Zhang et al., Pixel-SAIL: Single Transformer For Pixel-Grounded Understanding, "
    "arXiv:2504.10465, 2025, Table 3"
)
PAPER_ROWS = [
    {
        "model": "Pixel-SAIL 3B",
        "meteor": 24.2,
        "accuracy": 74.0,
        "ciou": 33.4,
        "giou": 23.5,
        "overall": 42.2,
    },
    {
        "model": "Pixel-SAIL 0.5B",
        "meteor": 21.4,
        "accuracy": 69.0,
        "ciou": 29.7,
        "giou": 19.8,
        "overall": 38.4,
    },
    {
        "model": "Sa2VA 4B",
        "meteor": 19.2,
        "accuracy": 71.0,
        "ciou": 31.9,
        "giou": 21.9,
        "overall": 39.0,
    },
    {
        "model": "GLaMM 7B",
        "meteor": 12.6,
        "accuracy": 14.0,
        "ciou": 24.3,
        "giou": 14.6,
        "overall": 15.3,
    },
    {
        "model": "Osprey 7B",
        "meteor": 13.4,
        "accuracy": 12.0,
        "ciou": 0.0,
        "giou": 0.0,
        "overall": 8.5,
    },
    {"model": "LISA 7B", "meteor": 0.0, "accuracy": 0.0, "ciou": 0.0, "giou": 0.0, "overall": 0.0},
]
