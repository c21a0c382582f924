"""The leaderboard: markdown, CSV and a static HTML page with one bar chart (PNG) per task.

API:
  build_leaderboard(result_paths, out_dir, reported=True) -> {"markdown", "csv", "html",
                                                             "charts": [PNG paths]}
  leaderboard_rows(result_paths, reported=True) -> list of groups (see below)

Rows are grouped by (release name, release version, protocol) and ranked by Overall only
inside their group: results of different release versions or protocols are never ranked
together. Every row says where it comes from: *reproduced here* (a results file) or *reported*
(the Pixel-SAIL paper's Table 3, with its citation; a group of its own). Two results files of
one release version must carry the same release fingerprint. Of several results for one
model and revision in a group, identical numbers count once and different numbers are refused
(a timestamp never picks the row). Every results file is checked first
(``evaluators.leaderboard_checks``); markdown, CSV and chart cells are written as plain text.
Units as in Table 3: METEOR, cIoU, gIoU, Overall in percent; Acc as a fraction.
"""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path
from typing import Any

from evaluators.leaderboard_audit import audit_notes, status_of
from evaluators.leaderboard_checks import checked_result, csv_safe, markdown_safe, row_identity
from evaluators.protocols import HEADLINE_COLUMNS as COLUMNS
from evaluators.reported import PAPER, PAPER_CITATION, PAPER_ROWS
from evaluators.results import in_table_units, read_results, recipe_summary, table_cell
from perbench.errors import PerBenchError

LABELS = {
    "meteor": "METEOR",
    "accuracy": "Acc",
    "ciou": "cIoU",
    "giou": "gIoU",
    "overall": "Overall",
}
CHARTS = {"description": ("meteor",), "mcq": ("accuracy",), "vt_res": ("ciou", "giou")}
REPRODUCED, REPORTED = "reproduced here", "reported"


def leaderboard_rows(result_paths: list[str | Path], reported: bool = True) -> list[dict]:
    """Groups ``{"title", "status", "release", "version", "protocol", "citation", "rows"}``."""
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    fingerprints: dict[tuple[str, str], tuple[str, Path]] = {}
    for raw_path in result_paths:
        path = Path(raw_path)
        result = checked_result(read_results(path), path)
        bench = result["benchmark"]
        release_key = (bench["name"], bench["version"])
        known = fingerprints.setdefault(release_key, (bench["fingerprint"], path))
        if known[0] != bench["fingerprint"]:
            raise PerBenchError(
                f"release {bench['name']} {bench['version']} has fingerprint "
                f"{bench['fingerprint'][:12]} here but {known[0][:12]} in {known[1]}: two "
                "different releases carry one version",
                where=str(path),
                hint="score against one release; a changed release needs a new version",
            )
        key = (*release_key, result["protocol"])
        group = groups.setdefault(
            key,
            {
                "title": f"{bench['name']} {bench['version']}, protocol {result['protocol']}",
                "slug": _slug(f"{bench['name']}-{bench['version']}-{result['protocol']}"),
                "status": REPRODUCED,
                "release": bench["name"],
                "version": bench["version"],
                "protocol": result["protocol"],
                "citation": None,
                "rows": {},
                "audit": bench.get("audit"),
            },
        )
        model = result["model"]
        row = {
            "model": model["name"],
            "revision": model.get("revision") or "",
            "recipe": recipe_summary(model.get("recipe")),
            "timestamp": result.get("timestamp", ""),
            "source": path.name,
            **in_table_units(result["headline"]),
        }
        previous = group["rows"].setdefault(row_identity(result), row)
        if previous is not row and any(previous[c] != row[c] for c in COLUMNS):
            raise PerBenchError(
                f"{previous['source']} and {path.name} score one model, revision, release and "
                "protocol differently",
                where=str(path),
                hint="keep one of them (a timestamp never decides which row is real)",
            )
    out = []
    for key in sorted(groups):
        group = groups[key]
        group["rows"] = _ranked(list(group["rows"].values()))
        out.append(group)
    if reported:
        rows = [
            {**r, "revision": "", "recipe": "", "timestamp": "", "source": PAPER}
            for r in PAPER_ROWS
        ]
        out.append(
            {
                "title": f"Reported in {PAPER} (authors' PerBench and scripts)",
                "slug": "reported-pixel-sail-table-3",
                "status": REPORTED,
                "release": "PerBench (authors)",
                "version": "paper",
                "protocol": "official",
                "citation": PAPER_CITATION,
                "rows": _ranked(rows),
            }
        )
    return out


def _ranked(rows: list[dict]) -> list[dict]:
    rows.sort(key=lambda r: (r["overall"] is None, -(r["overall"] or 0), r["model"]))
    for number, row in enumerate(rows, start=1):
        row["rank"] = number if row["overall"] is not None else None
    return rows


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()


def _chart(group: dict, task: str, path: Path) -> bool:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = CHARTS[task]
    rows = [r for r in group["rows"] if any(r[c] is not None for c in columns)]
    if not rows:
        return False
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(rows) * len(columns) + 1.2))
    height = 0.8 / len(columns)
    for offset, column in enumerate(columns):
        ys = [i + offset * height for i in range(len(rows))]
        ax.barh(ys, [r[column] or 0 for r in rows], height=height, label=LABELS[column])
    ax.set_yticks([i + height * (len(columns) - 1) / 2 for i in range(len(rows))])
    ax.set_yticklabels([r["model"] for r in rows], parse_math=False)
    ax.invert_yaxis()
    ax.set_xlabel(
        " / ".join(LABELS[c] for c in columns) + (" (fraction)" if task == "mcq" else " (%)")
    )
    ax.set_title(f"{task}: {group['title']}", fontsize=9, parse_math=False)
    if len(columns) > 1:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def build_leaderboard(
    result_paths: list[str | Path], out_dir: str | Path, reported: bool = True
) -> dict[str, Any]:
    groups = leaderboard_rows(result_paths, reported)
    out_dir = Path(out_dir)
    (out_dir / "charts").mkdir(parents=True, exist_ok=True)
    charts: dict[int, list[Path]] = {}
    for number, group in enumerate(groups):
        charts[number] = []
        for task in CHARTS:
            path = out_dir / "charts" / f"{group['slug']}-{task}.png"
            if _chart(group, task, path):
                charts[number].append(path)
    markdown = out_dir / "leaderboard.md"
    markdown.write_text(_markdown(groups, charts, out_dir), encoding="utf-8")
    table = out_dir / "leaderboard.csv"
    _write_csv(groups, table)
    page = out_dir / "leaderboard.html"
    page.write_text(_html(groups, charts, out_dir), encoding="utf-8")
    return {
        "markdown": markdown,
        "csv": table,
        "html": page,
        "charts": [p for paths in charts.values() for p in paths],
    }


def _cell(text: str | None) -> str:
    """A markdown table cell: '-' when empty, pipes escaped so they cannot split the row."""
    return markdown_safe(text) if text else "-"


def _markdown(groups: list[dict], charts: dict[int, list[Path]], out_dir: Path) -> str:
    lines = ["# PerBench leaderboard", ""]
    for number, group in enumerate(groups):
        lines += [f"## {markdown_safe(group['title'])}", "", f"Rows: *{group['status']}*."]
        if group["citation"]:
            lines += ["", f"Source: {group['citation']}."]
        lines += [f"\n**{note}**" for note in audit_notes(group.get("audit"))]
        lines += [
            "",
            "| Rank | Model | Revision | Recipe | METEOR | Acc | cIoU | gIoU | Overall | "
            "Protocol | Release | Status |",
            "| ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |",
        ]
        for row in group["rows"]:
            cells = " | ".join(table_cell(row[c]) for c in COLUMNS)
            lines.append(
                f"| {row['rank'] or '-'} | {_cell(row['model'])} | {_cell(row['revision'])} | "
                f"{_cell(row['recipe'])} | {cells} | "
                f"{group['protocol']} | {_cell(group['release'] + ' ' + group['version'])} | "
                f"{status_of(group['status'], group.get('audit'))} |"
            )
        lines.append("")
        lines += [f"![{p.stem}]({p.relative_to(out_dir).as_posix()})" for p in charts[number]]
        lines.append("")
    return "\n".join(lines)


def _write_csv(groups: list[dict], path: Path) -> None:
    header = ["status", "rank", "model", "revision", "recipe", "release", "version", "protocol"]
    header += list(COLUMNS) + ["source", "citation"]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for group in groups:
            for row in group["rows"]:
                writer.writerow(
                    csv_safe(cell)
                    for cell in [
                        status_of(group["status"], group.get("audit")),
                        row["rank"] or "",
                        row["model"],
                        row["revision"],
                        row["recipe"],
                    ]
                    + [group["release"], group["version"], group["protocol"]]
                    + ["" if row[c] is None else row[c] for c in COLUMNS]
                    + [row["source"], group["citation"] or ""]
                )


def _html(groups: list[dict], charts: dict[int, list[Path]], out_dir: Path) -> str:
    e = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>PerBench leaderboard</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px}td.n{text-align:right}"
        ".reported{color:#555;font-style:italic}</style></head><body>",
        "<h1>PerBench leaderboard</h1>",
        "<p>Rows are ranked by Overall only within one release version and protocol.</p>",
    ]
    for number, group in enumerate(groups):
        css = "reported" if group["status"] == REPORTED else "reproduced"
        parts.append(f"<h2>{e(group['title'])}</h2><p class='{css}'>Rows: {e(group['status'])}")
        if group["citation"]:
            parts.append(f"; source: {e(group['citation'])}")
        parts.append(".</p>")
        parts += [f"<p><strong>{e(note)}</strong></p>" for note in audit_notes(group.get("audit"))]
        parts.append("<table><tr><th>Rank</th><th>Model</th><th>Revision</th><th>Recipe</th>")
        parts.append("".join(f"<th>{LABELS[c]}</th>" for c in COLUMNS))
        parts.append("<th>Protocol</th><th>Release</th><th>Status</th></tr>")
        for row in group["rows"]:
            cells = "".join(f"<td class='n'>{table_cell(row[c])}</td>" for c in COLUMNS)
            parts.append(
                f"<tr class='{css}'><td class='n'>{row['rank'] or '-'}</td>"
                f"<td>{e(row['model'])}</td><td>{e(row['revision'] or '-')}</td>"
                f"<td>{e(row['recipe'] or '-')}</td>{cells}"
                f"<td>{e(group['protocol'])}</td><td>{e(group['release'])} "
                f"{e(group['version'])}</td>"
                f"<td>{e(status_of(group['status'], group.get('audit')))}</td></tr>"
            )
        parts.append("</table>")
        parts += [
            f"<p><img src='{e(p.relative_to(out_dir).as_posix())}' alt='{e(p.stem)}'></p>"
            for p in charts[number]
        ]
    parts.append("</body></html>\n")
    return "\n".join(parts)
