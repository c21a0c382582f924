"""Hugging Face ``.eval_results`` YAML files, one per leaderboard row, from results files.

API:
  eval_result_entries(results, dataset_id) -> list[dict]   the YAML entries of one result
  write_eval_results(result_paths, out_dir, dataset_id) -> list[Path]
      ``out_dir/<results stem>.yaml`` for each results file (one leaderboard row each)

Each file holds one entry per Table 3 column (``task_id`` description_meteor, mcq_accuracy,
vt_res_ciou, vt_res_giou, overall) with the value in Table 3 units, the evaluation's date, and
notes naming the release version, protocol and fingerprint, so a number on the Hub can be
traced to the exact release and rules. Entries are built with huggingface_hub's
``EvalResultEntry`` (the Hub's own schema). Upload them to a model repository's
``.eval_results/`` folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from evaluators.results import RESULTS_SUFFIX, in_table_units, read_results
from perbench.outputs import output_folder

TASK_IDS = {
    "meteor": "description_meteor",
    "accuracy": "mcq_accuracy",
    "ciou": "vt_res_ciou",
    "giou": "vt_res_giou",
    "overall": "overall",
}


def eval_result_entries(results: dict[str, Any], dataset_id: str) -> list[dict[str, Any]]:
    from huggingface_hub import EvalResultEntry, eval_result_entries_to_yaml

    bench = results["benchmark"]
    scorer = (results.get("evaluator") or {}).get("version", "perbench-evaluators")
    notes = (
        f"{bench['name']} {bench['version']}, {results['protocol']} protocol, release "
        f"fingerprint {bench['fingerprint']}; scored by {scorer}"
    )
    values = in_table_units(results["headline"])
    entries = [
        EvalResultEntry(
            dataset_id=dataset_id,
            task_id=task_id,
            value=round(values[column], 4),
            date=results.get("timestamp"),
            notes=notes,
        )
        for column, task_id in TASK_IDS.items()
        if values.get(column) is not None
    ]
    return eval_result_entries_to_yaml(entries)


def write_eval_results(
    result_paths: list[str | Path], out_dir: str | Path, dataset_id: str
) -> list[Path]:
    out = output_folder(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in map(Path, result_paths):
        results = read_results(path)
        target = out / (path.name.removesuffix(RESULTS_SUFFIX) + ".yaml")
        entries = eval_result_entries(results, dataset_id)
        target.write_text(yaml.safe_dump(entries, sort_keys=False), encoding="utf-8")
        written.append(target)
    return written
