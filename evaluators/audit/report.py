"""Write an audit report: ``validity.json`` (every figure) and ``validity.md`` (with plots).

API:
  write_report(report, out_dir) -> {"json": Path, "markdown": Path, "plots": [Path]}

Plots (PNG, matplotlib Agg), each figure with its 95% interval: blind MCQ accuracy of every
strategy and the best per question family, against chance; answer-letter shares; vacuous V-T RES
texts by kind and repeated MCQ items by family, against their gate limits.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evaluators.audit.stats import share_text
from evaluators.audit.summary import summary_lines
from perbench.outputs import output_folder


def _bars(
    path: Path,
    title: str,
    rows: list[tuple[str, dict]],
    reference: float | None,
    reference_label: str = "chance",
) -> bool:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [(name, f) for name, f in rows if f and f.get("value") is not None]
    if not rows:
        return False
    values = [f["value"] for _, f in rows]
    errors = [
        [v - (f["ci95"] or [v, v])[0] for v, (_, f) in zip(values, rows, strict=True)],
        [(f["ci95"] or [v, v])[1] - v for v, (_, f) in zip(values, rows, strict=True)],
    ]
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(rows) + 1.4))
    ax.barh(range(len(rows)), values, xerr=errors, color="#4c72b0", capsize=3)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{name} (n={f['n']})" for name, f in rows], fontsize=8)
    ax.invert_yaxis()
    if reference is not None:
        label = f"{reference_label} {reference:.2f}"
        ax.axvline(reference, color="#c44e52", linestyle="--", label=label)
        ax.legend(fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _plots(report: dict[str, Any], out_dir: Path) -> list[Path]:
    blind = report["mcq"]["blind"]
    plots = []
    wanted = [
        (
            "mcq_blind_strategies.png",
            "Blind MCQ accuracy by strategy (95% interval)",
            [(name, s["overall"]) for name, s in blind["strategies"].items()],
            blind["chance"],
        ),
        (
            "mcq_blind_families.png",
            "Best blind MCQ accuracy per question family",
            [
                (f"{family} ({row['strategy']})", row["accuracy"])
                for family, row in blind["best_by_family"].items()
            ],
            blind["chance"],
        ),
        (
            "mcq_letters.png",
            "Answer letter shares",
            list(report["mcq"]["letter_balance"]["letters"].items()),
            report["mcq"]["letter_balance"]["expected"],
        ),
    ]
    gate_limits = {g["gate"]: g["threshold"] for g in report["gates"]}
    shares = [
        (
            "vtres_vacuous.png",
            "Vacuous V-T RES texts by kind (the name alone finds the targets)",
            list(report["vt_res"]["vacuous"]["by_kind"].items()),
            gate_limits.get("vtres_vacuous"),
        ),
        (
            "mcq_repeats.png",
            "Repeated MCQ items by family",
            list(report["mcq"]["repeats"]["by_family"].items()),
            gate_limits.get("mcq_repeats"),
        ),
    ]
    for name, title, rows, reference in wanted:
        if _bars(out_dir / name, title, rows, reference):
            plots.append(out_dir / name)
    for name, title, rows, reference in shares:
        if _bars(out_dir / name, title, rows, reference, "gate limit"):
            plots.append(out_dir / name)
    return plots


def _markdown(report: dict[str, Any], plots: list[Path]) -> str:
    subject = report["subject"]
    lines = [
        f"# Validity audit: {subject.get('name') or subject.get('path') or subject.get('store')}",
        "",
        "Every figure: value [95% interval] (n). `validity.json` holds all of them.",
        "",
        "## Summary",
        "",
    ]
    lines += [f"- {line}" for line in summary_lines(report)]
    lines += ["", "## Plots", ""]
    lines += [f"![{p.stem}]({p.name})" for p in plots]
    blind = report["mcq"]["blind"]
    if blind["strategies"]:
        lines += ["", "## Blind MCQ strategies", "", "| strategy | accuracy | by family |"]
        lines.append("| --- | --- | --- |")
        for name, figures in blind["strategies"].items():
            families = "; ".join(f"{f} {share_text(v)}" for f, v in figures["by_family"].items())
            lines.append(f"| {name} | {share_text(figures['overall'])} | {families} |")
    examples = [
        ("Repeated MCQ items", report["mcq"]["repeats"]["examples"]),
        ("Vacuous V-T RES texts", report["vt_res"]["vacuous"]["examples"]),
        ("V-T RES texts the re-check disputes", report["vt_res"]["ambiguity"]["examples"]),
        ("Identical descriptions in one image", report["description"]["identical"]["examples"]),
        ("Near-identical descriptions", report["description"]["near_identical"]["examples"]),
    ]
    for title, rows in examples:
        if rows:
            lines += ["", f"## {title}", ""]
            lines += [f"- `{json.dumps(row, sort_keys=True)}`" for row in rows]
    return "\n".join(lines) + "\n"


def write_report(report: dict[str, Any], out_dir: str | Path) -> dict[str, Any]:
    out_dir = output_folder(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "validity.json"
    json_path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    plots = _plots(report, out_dir)
    markdown = out_dir / "validity.md"
    markdown.write_text(_markdown(report, plots), encoding="utf-8")
    return {"json": json_path, "markdown": markdown, "plots": plots}
