"""The overall formula reproduces the paper's Table 3 to the printed decimal."""

from __future__ import annotations

import pytest

from evaluators.protocols import headline, overall
from evaluators.reported import PAPER_ROWS


@pytest.mark.parametrize("row", PAPER_ROWS, ids=[r["model"] for r in PAPER_ROWS])
def test_overall_reproduces_table3(row):
    value = overall(
        row["meteor"] / 100, row["accuracy"] / 100, row["ciou"] / 100, row["giou"] / 100
    )
    assert f"{value:.1f}" == f"{row['overall']:.1f}"


def test_all_six_rows_present():
    assert [r["model"] for r in PAPER_ROWS] == [
        "Pixel-SAIL 3B",
        "Pixel-SAIL 0.5B",
        "Sa2VA 4B",
        "GLaMM 7B",
        "Osprey 7B",
        "LISA 7B",
    ]


def test_headline_needs_every_task():
    metrics = {"description": {"meteor": 0.2}, "mcq": {"accuracy": 0.5}}
    assert headline(metrics)["overall"] is None
    metrics["vt_res"] = {"ciou": 0.3, "giou": 0.1}
    assert headline(metrics)["overall"] == pytest.approx((20 + 50 + 20) / 3)
