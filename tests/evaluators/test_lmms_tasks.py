"""The lmms-eval export and its task functions, on CPU and without lmms-eval installed.

The test plays lmms-eval's part: it loads each task's documents the way the exported YAML
says (``datasets.load_dataset(release, task, split="test")``), feeds the answers through the
generated ``utils.py`` and the YAML's aggregations, and compares with ``perbench evaluate`` on
the same answers.
"""

from __future__ import annotations

import importlib.util
import json

import datasets
import pytest
import yaml

from evaluators.api import evaluate
from perbench.cli import main


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor(
    "!function", lambda loader, node: ("function", loader.construct_scalar(node))
)


def _answers(samples, tricky) -> dict[str, object]:
    entries, _ = tricky
    answers = {e["id"]: e["prediction"] for e in entries}
    for sample in samples:  # lmms-eval answers every document
        answers.setdefault(sample.id, "" if sample.task != "vt_res" else None)
    return answers


@pytest.fixture(scope="module")
def exported(release_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("lmms")
    assert main(["export", "lmms-eval", str(release_path), str(out)]) == 0
    return out


def _utils(folder):
    spec = importlib.util.spec_from_file_location(f"utils_{folder.name}", folder / "utils.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_yaml_layout(exported, release_path):
    group = yaml.load((exported / "perbench.yaml").read_text(), Loader=_Loader)
    assert group["task"] == ["perbench_description", "perbench_mcq", "perbench_vt_res"]
    assert group["aggregate_metric_list"][0]["metric"] == "perbench_score"
    task = yaml.load((exported / "perbench_vt_res.yaml").read_text(), Loader=_Loader)
    assert task["dataset_path"] == str(release_path.resolve()) and task["dataset_name"] == "vt_res"
    assert task["process_results"] == ("function", "utils.process_results")
    assert [m["metric"] for m in task["metric_list"]] == [
        "ciou",
        "giou",
        "perbench_score",
        "not_json",
    ]
    assert [m["higher_is_better"] for m in task["metric_list"]] == [True, True, True, False]


@pytest.mark.parametrize("protocol", ["strict", "official"])
def test_scores_equal_perbench_evaluate(
    protocol, release_path, samples, tricky, wordnet, tmp_path, capsys
):
    out = tmp_path / "tasks"
    assert main(["export", "lmms-eval", str(release_path), str(out), "--protocol", protocol]) == 0
    utils = _utils(out)
    answers = _answers(samples, tricky)
    with_target = next(s for s in samples if s.task == "vt_res" and s.targets)
    answers[with_target.id] = "the chair on the left"  # not JSON: counted in both, by name
    predictions = tmp_path / "pred.jsonl"
    predictions.write_text(
        "".join(json.dumps({"id": k, "prediction": v}) + "\n" for k, v in answers.items())
    )
    expected = evaluate(release_path, predictions, "m", protocol=protocol, progress=False)
    parts = []
    for task in ("description", "mcq", "vt_res"):
        config = yaml.load((out / f"perbench_{task}.yaml").read_text(), Loader=_Loader)
        docs = datasets.load_dataset(config["dataset_path"], task, split=config["test_split"])
        items: dict[str, list] = {}
        for doc in docs:
            answer = answers[doc["id"]]
            text = answer if isinstance(answer, str) else json.dumps(answer)
            assert utils.doc_to_visual(doc)[0].size == (doc["width"], doc["height"])
            assert utils.doc_to_text(doc)
            for name, item in utils.process_results(doc, [text]).items():
                items.setdefault(name, []).append(json.loads(json.dumps(item)))
        scores = {
            metric["metric"]: getattr(utils, metric["aggregation"][1].split(".")[1])(
                items[metric["metric"]]
            )
            for metric in config["metric_list"]
        }
        parts.append(scores["perbench_score"])
        got = expected["metrics"][task]
        if task == "description":
            assert scores["meteor"] == 100 * got["meteor"]
        elif task == "mcq":
            assert scores["accuracy"] == 100 * got["accuracy"]
        else:
            assert (scores["ciou"], scores["giou"]) == (100 * got["ciou"], 100 * got["giou"])
            assert scores["not_json"] == expected["counts"]["not_json"] == 1
    assert sum(parts) / 3 == pytest.approx(expected["headline"]["overall"], rel=1e-12)


def test_unparseable_mask_text_is_not_masks():
    from evaluators.lmms_tasks import parse_prediction
    from evaluators.submission import NotMasks

    assert isinstance(parse_prediction("vt_res", "the chair on the left", 4, 4), NotMasks)
    assert isinstance(parse_prediction("vt_res", '{"size": [5, 5], "counts": "0"}', 4, 4), NotMasks)
    assert parse_prediction("vt_res", "null", 4, 4) == []
    assert parse_prediction("mcq", "B", 4, 4) == "B"


def test_process_results_from_a_thread_pool(release_path, samples):
    """lmms-eval 0.7.3 scores documents in threads; the shared METEOR process must not mix."""
    from concurrent.futures import ThreadPoolExecutor

    from evaluators import lmms_tasks

    lmms_tasks.configure("strict")
    docs = list(datasets.load_dataset(str(release_path), "description", split="test"))
    answers = [f"{doc['references'][0]} seen {i}" for i, doc in enumerate(docs)]
    sequential = [lmms_tasks.process_results(d, [a]) for d, a in zip(docs, answers, strict=True)]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(lmms_tasks.process_results, docs, [[a] for a in answers]))
    assert threaded == sequential
