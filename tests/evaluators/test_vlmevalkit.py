"""VLMEvalKit export: MCQ TSV with marked images and circular indices; predictions round-trip."""

from __future__ import annotations

import base64
import io
import json
from collections import Counter

import pandas
from PIL import Image

from evaluators.api import evaluate
from evaluators.export_vlmevalkit import CIRCULAR_STEP
from perbench.cli import main


def test_round_trip_scores_the_same(release_path, samples, tricky, tmp_path, capsys):
    out = tmp_path / "vlmeval"
    assert main(["export", "vlmevalkit", str(release_path), str(out)]) == 0
    mcq = pandas.read_csv(out / "PerBench_MCQ.tsv", sep="\t")
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
    for name in ("PerBench_MCQ", "PerBench_Description", "PerBench_VTRES"):
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
