"""Results files: one JSON per evaluation plus a per-sample JSONL beside it; the Table 3 print.

API:
  EVALUATOR_VERSION
  git_commit() -> str | None                 the evaluator's commit (None outside a git checkout)
  results_stem(model, version, protocol, revision=None) -> str
  build_results(...) -> dict                 the results document (see DESIGN.md "Results")
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
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from evaluators.contamination import contamination_note
from evaluators.leaderboard_audit import audit_shape_problem
from evaluators.protocols import HEADLINE_COLUMNS, headline
from perbench import __version__
from perbench.errors import PerBenchError
from perbench.jsonfile import read_json, write_text_atomic
from perbench.limits import file_stem
from perbench.outputs import output_folder

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


def _slug(text: str, max_chars: int = 40) -> str:
    return file_stem(text, max_chars) or "model"


def results_stem(model: str, version: str, protocol: str, revision: str | None = None) -> str:
    """File stem of a result; the revision is part of it so two revisions never overwrite."""
    name = f"{_slug(model, 100)}@{_slug(revision)}" if revision else _slug(model, 100)
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
    if not isinstance(recipe, dict) or not recipe:
        return ""
    train = recipe.get("train") if isinstance(recipe.get("train"), dict) else {}
    lr = train.get("lr")
    parts = [
        recipe.get("size") and f"{recipe['size']}",
        recipe.get("steps_done") and f"{recipe['steps_done']} steps",
        train.get("global_batch_size") and f"batch {train['global_batch_size']}",
        lr and (f"lr {lr:g}" if isinstance(lr, (int, float)) else f"lr {lr}"),
        recipe.get("device"),
        recipe.get("bf16") and "bf16",
    ]
    data = recipe.get("data") if isinstance(recipe.get("data"), dict) else {}
    if data.get("synthetic_scenes"):
        parts.append(f"+{data['synthetic_scenes']} synthetic scenes")
    return ", ".join(str(p) for p in [contamination_note(recipe), *parts] if p)


def write_results(results: dict[str, Any], out_dir: str | Path, records: Path) -> Path:
    """Write ``<stem>.results.json`` and move ``records`` to ``<stem>.samples.jsonl``."""
    out_dir = output_folder(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = results["model"]
    stem = results_stem(
        model["name"], results["benchmark"]["version"], results["protocol"], model.get("revision")
    )
    samples = out_dir / f"{stem}{SAMPLES_SUFFIX}"
    results["per_sample"] = samples.name
    path = out_dir / f"{stem}{RESULTS_SUFFIX}"
    try:
        if records.resolve() != samples.resolve():
            shutil.move(str(records), samples)
        write_text_atomic(path, json.dumps(results, indent=2, sort_keys=True) + "\n")
    except BaseException:
        samples.unlink(missing_ok=True)  # rows without their results file are not kept
        raise
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
    recipe = data["model"].get("recipe")
    if recipe is not None and not isinstance(recipe, dict):
        _incomplete(path, "results field 'model.recipe' must be an object or null")
    problem = audit_shape_problem(data["benchmark"].get("audit"))
    if problem:
        _incomplete(path, f"results field 'benchmark.audit': {problem}")
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
