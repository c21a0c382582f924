"""Results files: one JSON per evaluation plus a per-sample JSONL beside it; the Table 3 print.

API:
  EVALUATOR_VERSION
  git_commit() -> str | None                 the evaluator's commit (None outside a git checkout)
  results_stem(model, version, protocol, revision=None) -> str
  build_results(...) -> dict                 the results document (see DESIGN.md "Results")
  check_out_dir(out_dir) -> Path             refuses a file, or a folder inside a release
  write_results(results, out_dir, records) -> Path   results JSON (+ moves the per-sample rows)
  read_results(path) -> dict                 a results file, checked (PerBenchError if not one)
  in_table_units(headline) -> dict           the headline fractions in Table 3 units
  table_cell(value) -> str                   one table number as printed ("-" when None)
  format_table(rows) -> str                  Model | METEOR | Acc | cIoU | gIoU | Overall

Table units: every column in percent with one decimal, accuracy included (Table 3 of the paper
prints accuracy as a fraction; the results JSON keeps every figure as a fraction).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from evaluators.contamination import contamination_note
from evaluators.protocols import HEADLINE_COLUMNS, headline
from perbench import __version__
from perbench.errors import PerBenchError
from perbench.jsonfile import read_json, write_text_atomic

EVALUATOR_VERSION = f"perbench-evaluators {__version__}"
RESULTS_KIND = "perbench-results"
RESULTS_SUFFIX = ".results.json"
SAMPLES_SUFFIX = ".samples.jsonl"
# the objects the leaderboard reads, with the keys each must hold
REQUIRED_OBJECTS = {
    "benchmark": ("name", "version", "fingerprint"),
    "model": ("name",),
    "headline": (),
}
TABLE_SCALE = {"meteor": 100, "accuracy": 100, "ciou": 100, "giou": 100, "overall": 1}


def git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "model"


def results_stem(model: str, version: str, protocol: str, revision: str | None = None) -> str:
    """File stem of a result; the revision is part of it so two revisions never overwrite."""
    name = f"{_slug(model)}@{_slug(revision)}" if revision else _slug(model)
    return f"{name}.{_slug(version)}.{protocol}"


def build_results(
    *,
    benchmark: dict[str, Any],
    protocol: str,
    model: str,
    revision: str | None,
    predictions: dict[str, Any],
    tasks: list[str],
    counts: dict[str, dict[str, int]],
    metrics: dict[str, dict[str, Any]],
    recipe: dict[str, Any] | None = None,
) -> dict[str, Any]:
    invalid = metrics.get("mcq", {}).get("invalid")
    totals = {
        key: sum(c.get(key, 0) for c in counts.values())
        for key in ("expected", "scored", "missing", "not_json")
    }
    return {
        "kind": RESULTS_KIND,
        "benchmark": benchmark,
        "protocol": protocol,
        "evaluator": {"version": EVALUATOR_VERSION, "commit": git_commit()},
        "model": {"name": model, "revision": revision, "recipe": recipe},
        "predictions": predictions,
        "tasks": tasks,
        "counts": {**totals, "invalid": invalid, "per_task": counts},
        "metrics": metrics,
        "headline": headline(metrics),
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def recipe_summary(recipe: dict[str, Any] | None) -> str:
    """One line for the leaderboard: "trained on test images (N of M)" first when the
    training images overlap the release, then size, steps, batch, learning rate, device, data."""
    if not recipe:
        return ""
    train = recipe.get("train", {})
    parts = [
        recipe.get("size") and f"{recipe['size']}",
        recipe.get("steps_done") and f"{recipe['steps_done']} steps",
        train.get("global_batch_size") and f"batch {train['global_batch_size']}",
        train.get("lr") and f"lr {train['lr']:g}",
        recipe.get("device"),
        recipe.get("bf16") and "bf16",
    ]
    data = recipe.get("data") or {}
    if data.get("synthetic_scenes"):
        parts.append(f"+{data['synthetic_scenes']} synthetic scenes")
    return ", ".join(str(p) for p in [contamination_note(recipe), *parts] if p)


def _is_release(folder: Path) -> bool:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and "files" in manifest and "counts" in manifest


def check_out_dir(out_dir: str | Path) -> Path:
    """The results folder, refused when it is an existing file or lies inside a release."""
    path = Path(out_dir)
    if path.exists() and not path.is_dir():
        raise PerBenchError(
            "--out must be a folder, but this is an existing file",
            where=str(path),
            hint="give a folder path; results files are named after the model inside it",
        )
    resolved = path.resolve()
    for folder in (resolved, *resolved.parents):
        if folder.is_dir() and _is_release(folder):
            raise PerBenchError(
                f"--out lies inside the release {folder}, and a release is immutable",
                where=str(path),
                hint="write results to a folder outside every release",
            )
    return path


def write_results(results: dict[str, Any], out_dir: str | Path, records: Path) -> Path:
    """Write ``<stem>.results.json`` and move ``records`` to ``<stem>.samples.jsonl``."""
    out_dir = check_out_dir(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = results["model"]
    stem = results_stem(
        model["name"], results["benchmark"]["version"], results["protocol"], model.get("revision")
    )
    samples = out_dir / f"{stem}{SAMPLES_SUFFIX}"
    if records.resolve() != samples.resolve():
        shutil.move(str(records), samples)
    results["per_sample"] = samples.name
    path = out_dir / f"{stem}{RESULTS_SUFFIX}"
    write_text_atomic(path, json.dumps(results, indent=2, sort_keys=True) + "\n")
    return path


def read_results(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    data = read_json(path, "results file")
    if not isinstance(data, dict) or data.get("kind") != RESULTS_KIND:
        raise PerBenchError(
            'not a perbench results file (no "kind": "perbench-results")',
            where=str(path),
            hint="pass the .results.json files `perbench evaluate` writes",
        )
    for key, inner in REQUIRED_OBJECTS.items():
        value = data.get(key)
        if not isinstance(value, dict) or any(k not in value for k in inner):
            what = f" with {', '.join(inner)}" if inner else ""
            _incomplete(path, f"results field {key!r} is missing or not an object{what}")
    if not isinstance(data.get("protocol"), str):
        _incomplete(path, "results field 'protocol' is missing or not a string")
    return data


def _incomplete(path: Path, message: str) -> None:
    raise PerBenchError(message, where=str(path), hint="rewrite it with `perbench evaluate`")


def in_table_units(headline: dict[str, Any]) -> dict[str, float | None]:
    """A results headline (fractions; overall in [0, 100]) in Table 3 units."""
    return {
        column: None if headline.get(column) is None else headline[column] * TABLE_SCALE[column]
        for column in HEADLINE_COLUMNS
    }


def table_cell(value: float | None) -> str:
    """A number already in table units (percent) as the table prints it: one decimal."""
    return "-" if value is None else f"{value:.1f}"


def format_table(rows: list[tuple[str, dict[str, float | None]]]) -> str:
    """Rows of (model, headline) in the paper's Table 3 layout (markdown)."""
    lines = [
        "| Model | METEOR | Acc | cIoU | gIoU | Overall |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for model, row in rows:
        shown = in_table_units(row)
        cells = " | ".join(table_cell(shown[c]) for c in HEADLINE_COLUMNS)
        lines.append(f"| {model} | {cells} |")
    return "\n".join(lines)
