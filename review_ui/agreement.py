"""The reviewers' agreement report as Markdown, for the review app.

API:
  agreement_report(store) -> dict    (perbench.agreement, re-exported for the app and its CLI)
  format_report(report) -> str (Markdown)
"""

from __future__ import annotations

import html
from typing import Any

from perbench.agreement import agreement_report

__all__ = ["agreement_report", "format_report"]


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def format_report(report: dict[str, Any]) -> str:
    overall = report["overall"]
    lines = [
        f"**Samples with 2+ reviewers:** {report['samples_with_several_reviewers']}; "
        f"**conflicts open:** {report['conflicts']}",
        f"**Decision agreement:** {_number(overall['agreement'])} over {overall['pairs']} reviewer "
        f"pairs; Cohen's kappa {_number(overall['kappa'])}; pairs who accepted different "
        f"versions: {report['versions_split']}",
        "",
        "| reviewers | pairs | agreement | kappa |",
        "| --- | --- | --- | --- |",
    ]
    for name, row in report["pairs"].items():
        lines.append(
            f"| {html.escape(name).replace('|', ' & ')} | {row['pairs']} | "
            f"{_number(row['agreement'])} | {_number(row['kappa'])} |"
        )
    masks = report["mask_iou"]
    lines += [
        "",
        f"**Mask IoU between approved masks (where one was edited):** {masks['count']} pairs, "
        f"mean {_number(masks['mean'])}, median {_number(masks['median'])}, "
        f"min {_number(masks['min'])}",
    ]
    lines += [
        f"- {item['sample_id']} {html.escape(item['field'])} "
        f"({html.escape(' & '.join(item['reviewers']))}): {item['iou']:.3f}"
        for item in masks["lowest"]
    ]
    return "\n".join(lines)
