"""``perbench export lmms-eval RELEASE OUT_DIR``: a task folder lmms-eval runs with
``lmms-eval --include_path OUT_DIR --tasks perbench``.

API:
  export_lmms(release, out_dir, protocol="strict") -> list[Path]   the files written

Written: ``perbench.yaml`` (the group; its score ``perbench_score`` is the mean of the tasks'
parts, i.e. Overall), one ``perbench_<task>.yaml`` per task of the release (the dataset is the
release folder itself, read by ``datasets`` through its card's ``configs``, split ``test``),
and ``utils.py``, which sets the protocol and re-exports ``evaluators.lmms_tasks`` (perbench
must be importable where lmms-eval runs). Nothing is copied: the YAMLs point at the release by
absolute path, so moving the release means exporting again.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from evaluators.api import open_release
from evaluators.lmms_tasks import METRIC_NAMES
from evaluators.protocols import PROTOCOLS
from perbench.errors import PerBenchError

GROUP = "perbench"
MAX_NEW_TOKENS = {"description": 1024, "mcq": 64, "vt_res": 4096}
AGGREGATIONS = {
    "meteor": "aggregate_meteor",
    "accuracy": "aggregate_accuracy",
    "ciou": "aggregate_ciou",
    "giou": "aggregate_giou",
    "perbench_score": "aggregate_score",
    "not_json": "aggregate_not_json",
}
LOWER_IS_BETTER = {"not_json"}
FUNCTIONS = ("doc_to_visual", "doc_to_text", "doc_to_target", "process_results")
UTILS = '''"""Written by `perbench export lmms-eval` (protocol {protocol}); the functions are the
project's own (evaluators.lmms_tasks), so scores equal `perbench evaluate`."""

from evaluators import lmms_tasks
from evaluators.lmms_tasks import (  # noqa: F401
{names}
)

lmms_tasks.configure("{protocol}")
'''


class _Function(str):
    """A YAML scalar written with lmms-eval's ``!function`` tag."""


def _function_representer(dumper: yaml.SafeDumper, value: _Function) -> yaml.Node:
    return dumper.represent_scalar("!function", str(value))


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Function, _function_representer)


def _task_config(task: str, release_path: Path, version: str) -> dict:
    return {
        "task": f"{GROUP}_{task}",
        "dataset_path": str(release_path),
        "dataset_name": task,
        "test_split": "test",
        "output_type": "generate_until",
        **{name: _Function(f"utils.{name}") for name in FUNCTIONS},
        "generation_kwargs": {
            "max_new_tokens": MAX_NEW_TOKENS[task],
            "temperature": 0,
            "do_sample": False,
        },
        "metric_list": [
            {
                "metric": name,
                "aggregation": _Function(f"utils.{AGGREGATIONS[name]}"),
                "higher_is_better": name not in LOWER_IS_BETTER,
            }
            for name in METRIC_NAMES[task]
        ],
        "metadata": {"version": version},
    }


def export_lmms(release, out_dir: str | Path, protocol: str = "strict") -> list[Path]:
    if protocol not in PROTOCOLS:
        raise PerBenchError(f"unknown protocol {protocol!r}; choose from {sorted(PROTOCOLS)}")
    release = open_release(release, verify=True)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    tasks = [task for task in release.tasks if release.count(task)]
    group = {
        "group": GROUP,
        "task": [f"{GROUP}_{task}" for task in tasks],
        "aggregate_metric_list": [
            {"metric": "perbench_score", "aggregation": "mean", "weight_by_size": False}
        ],
        "metadata": {"version": release.version, "fingerprint": release.fingerprint},
    }
    files = {f"{GROUP}.yaml": group}
    for task in tasks:
        files[f"{GROUP}_{task}.yaml"] = _task_config(task, release.path.resolve(), release.version)
    for name, config in files.items():
        (out / name).write_text(yaml.dump(config, Dumper=_Dumper, sort_keys=False))
        written.append(out / name)
    names = sorted({*FUNCTIONS, *AGGREGATIONS.values()})
    utils = UTILS.format(protocol=protocol, names="\n".join(f"    {n}," for n in names))
    (out / "utils.py").write_text(utils)
    written.append(out / "utils.py")
    return written
