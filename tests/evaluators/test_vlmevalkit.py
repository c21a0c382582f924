"""VLMEvalKit export: MCQ TSV with marked images and circular indices; predictions round-trip."""

from __future__ import annotations

import base64
import io
import json
from collections import Counter
from pathlib import Path

import pandas
from PIL import Image

from evaluators.api import evaluate
from evaluators.export_vlmevalkit import CIRCULAR_STEP, FILES, vlmevalkit_indices
from perbench.cli import main


def test_round_trip_scores_the_same(release_path, samples, tricky, tmp_path, capsys):
    out = tmp_path / "vlmeval"
    assert main(["export", "vlmevalkit", str(release_path), str(out)]) == 0
    mcq = pandas.read_csv(out / "PerBench_MCQ_circular.tsv", sep="\t")
    assert {"index", "image", "question", "A", "B", "C", "D", "answer"} <= set(mcq.columns)
    picture = Image.open(io.BytesIO(base64.b64decode(mcq["image"][0])))
    assert picture.size == (samples[0].width, samples[0].height)
    # the rotation group q0 has 4 rotations: one base index, copies at base + r * 1e6
    copies = sorted(Counter(i % CIRCULAR_STEP for i in mcq["index"]).values())
    assert copies == [1, 1, 1, 4]
    assert len(set(mcq["index"])) == len(mcq)

    entries, _ = tricky
    answers = {e["id"]: e["prediction"] for e in entries}
    # VLMEvalKit writes <model>_<dataset>.tsv holding the dataset columns + "prediction"
    ids = {}
    for name in ("PerBench_MCQ_circular", "PerBench_Description", "PerBench_VTRES"):
        ids[name] = pandas.read_csv(out / f"{name}.tsv", sep="\t", keep_default_na=False)
    paths = []
    for name, table in ids.items():
        full = table.set_index("index")["perbench_id"]
        frame = table[table["perbench_id"].isin(answers)].drop(columns=["perbench_id", "image"])
        frame["prediction"] = [
            (lambda a: a if isinstance(a, str) else json.dumps(a))(answers[full[i]])
            for i in frame["index"]
        ]
        path = tmp_path / f"dummy_{name}.tsv"
        frame.to_csv(path, sep="\t", index=False)
        paths.append(str(path))
    converted = tmp_path / "converted.jsonl"
    code = main(
        ["export", "vlmevalkit-predictions", str(release_path), *paths, "--out", str(converted)]
    )
    assert code == 0, capsys.readouterr().err
    original = tmp_path / "original.jsonl"
    original.write_text("".join(json.dumps(e) + "\n" for e in entries))
    for protocol in ("official", "strict"):
        kwargs = {"protocol": protocol, "allow_missing": True, "progress": False}
        if protocol == "official":
            kwargs["tasks"] = ["mcq", "vt_res"]  # description needs WordNet; strict covers it
        a = evaluate(release_path, original, "m", **kwargs)
        b = evaluate(release_path, converted, "m", **kwargs)
        assert a["metrics"] == b["metrics"] and a["counts"] == b["counts"]


def vlmevalkit_runs_circular(dataset: str) -> bool:
    """VLMEvalKit's rule (ImageMCQDataset.evaluate): circular when the name holds one of these."""
    return any(word in dataset.lower() for word in ("mmbench", "ccbench", "circular"))


def resolve_images(frame: pandas.DataFrame) -> dict[str, str]:
    """``image`` per index as VLMEvalKit's ImageBaseDataset resolves it (<= 64 chars: a row)."""
    images = {str(i): str(x) for i, x in zip(frame["index"], frame["image"], strict=True)}
    resolved = {}
    for index, image in images.items():
        if len(image) <= 64:
            assert image in images and len(images[image]) > 64, (index, image)
            image = images[image]
        resolved[index] = image
    return resolved


def test_mcq_name_triggers_circular_and_rotations_share_one_image(release_path, samples, tmp_path):
    out = tmp_path / "vlmeval"
    assert main(["export", "vlmevalkit", str(release_path), str(out)]) == 0
    assert vlmevalkit_runs_circular(Path(FILES["mcq"]).stem)
    assert (out / FILES["mcq"]).is_file()
    mcq = pandas.read_csv(out / FILES["mcq"], sep="\t", keep_default_na=False)
    groups = mcq.groupby(mcq["index"] % CIRCULAR_STEP)
    rotated = next(group for _, group in groups if len(group) == 4)
    stored = [image for image in rotated["image"] if len(image) > 64]
    assert len(stored) == 1  # four rotations, one image
    holder = str(rotated["index"][rotated["image"] == stored[0]].iloc[0])
    assert sorted(i for i in rotated["image"] if len(i) <= 64) == [holder] * 3
    by_id = {s.id: s for s in samples}
    for table in (mcq, pandas.read_csv(out / FILES["vt_res"], sep="\t", keep_default_na=False)):
        resolved = resolve_images(table)
        for index, sample_id in zip(table["index"], table["perbench_id"], strict=True):
            picture = Image.open(io.BytesIO(base64.b64decode(resolved[str(index)])))
            assert picture.size == (by_id[sample_id].width, by_id[sample_id].height)


class _Release:
    """What ``vlmevalkit_indices`` reads of a release: its tasks and samples."""

    path = Path("hostile-release")

    def __init__(self, samples):
        self._samples = samples
        self.tasks = sorted({s.task for s in samples})

    def samples(self, task):
        return [s for s in self._samples if s.task == task]


def test_samples_sharing_a_group_and_rotation_get_distinct_indices(samples):
    mcq = [s for s in samples if s.task == "mcq"]
    rotations = [s for s in mcq if s.meta["circular"]["group"] == "q0"]
    others = [s for s in mcq if s.meta["circular"]["group"] != "q0"]
    first = rotations[0]
    clash = others[0].copy_with(meta={"circular": dict(first.meta["circular"])})
    odd = others[1].copy_with(meta={"circular": {"group": "q0", "rotation": "2"}})
    negative = others[2].copy_with(meta={"circular": {"group": "q9", "rotation": -1}})
    hostile = [*rotations, clash, odd, negative]
    indices = vlmevalkit_indices(_Release(hostile))["mcq"]
    assert len(set(indices.values())) == len(hostile)
    assert indices[clash.id] != indices[first.id]
    assert all(indices[s.id] < CIRCULAR_STEP for s in (clash, odd, negative))
    # the genuine rotation group keeps its layout: one base, copies at base + r * 1e6
    group = sorted(indices[s.id] for s in rotations)
    assert [i - group[0] for i in group] == [r * CIRCULAR_STEP for r in range(4)]
