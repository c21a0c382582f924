"""The hostile inputs of issue 20, each with the ``perbench`` command that reads it.

API:
  issue20_cases(folder, release, samples) -> list[(name, input bytes, argv)]

Each case writes its own input under ``folder`` (big files are streamed or sparse, so making
them costs little memory) and gives the argv after ``python -m perbench.cli``. Used by
``hostile_memory.py --issue20``, which measures each command's peak RSS in a child.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

MIB = 1 << 20


def _coco_source(folder: Path, side: int, annotations: int = 2) -> list[str]:
    """A COCO source of one ``side`` x ``side`` PNG (flat colour: a few hundred KB)."""
    (folder / "images").mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (side, side), (90, 120, 200)).save(folder / "images" / "big.png")
    s = side
    polygon = [s * 0.1, s * 0.1, s * 0.4, s * 0.1, s * 0.4, s * 0.4]
    anns = [
        {"id": i, "image_id": 1, "category_id": 1, "segmentation": [polygon], "area": 1.0,
         "bbox": [0, 0, 1, 1], "iscrowd": 0}
        for i in range(annotations)
    ]  # fmt: skip
    data = {
        "images": [{"id": 1, "file_name": "big.png", "height": side, "width": side}],
        "annotations": anns,
        "categories": [{"id": 1, "name": "cat", "supercategory": "animal"}],
    }
    (folder / "instances.json").write_text(json.dumps(data))
    return [f"coco:{folder / 'instances.json'}:{folder / 'images'}"]


def _panoptic_source(folder: Path, side: int) -> list[str]:
    (folder / "png").mkdir(parents=True, exist_ok=True)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    ids = np.zeros((side, side, 3), dtype=np.uint8)
    ids[: side // 2, : side // 2, 0] = 7
    ids[side // 2 :, side // 2 :, 1] = 1  # id 256
    Image.fromarray(ids).save(folder / "png" / "p.png")
    Image.new("RGB", (side, side), (90, 120, 200)).save(folder / "images" / "p.png")
    data = {
        "images": [{"id": 1, "file_name": "p.png", "height": side, "width": side}],
        "annotations": [
            {"image_id": 1, "file_name": "p.png",
             "segments_info": [{"id": 7, "category_id": 1}, {"id": 256, "category_id": 2}]}
        ],
        "categories": [{"id": 1, "name": "cat", "isthing": 1},
                       {"id": 2, "name": "dog", "isthing": 1}],
    }  # fmt: skip
    (folder / "panoptic.json").write_text(json.dumps(data))
    return [f"panoptic:{folder / 'panoptic.json'}:{folder / 'png'}:{folder / 'images'}"]


def _stbench(folder: Path, side: int, padding_mb: int = 0) -> Path:
    """An STBench folder: one VRES item over a ``side`` PNG; MCQ padded to ``padding_mb``."""
    (folder / "images").mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (side, side), (90, 120, 200)).save(folder / "images" / "a.png")
    from perbench.mask_checks import runs_to_counts

    rle = {"size": [side, side], "counts": runs_to_counts([side * side - 1, 1])}
    item = {"image_name": "a.png", "question": "<region1>?", "answer": "<region1>",
            "segmentations": {"<region1>": rle}}  # fmt: skip
    (folder / "STBench_VRES.json").write_text(json.dumps([item]))
    if padding_mb:
        with open(folder / "STBench_MCQ.json", "w") as handle:
            handle.write("[")
            entry = json.dumps({"image_name": "a.png", "mcqs": []})
            for number in range(padding_mb * MIB // len(entry)):
                handle.write(("," if number else "") + entry)
            handle.write("]")
    return folder


def _big_json_list(path: Path, megabytes: int, entry: str) -> None:
    with open(path, "w") as handle:
        handle.write('{"annotations": [')
        for number in range(megabytes * MIB // len(entry)):
            handle.write(("," if number else "") + entry)
        handle.write("]}")


def _partials(folder: Path, release: Path, predictions: Path) -> list[Path]:
    args = [sys.executable, "-m", "perbench.cli", "evaluate", "--release", str(release),
            "--predictions", str(predictions), "--model", "m", "--tasks", "vt_res",
            "--out", str(folder)]  # fmt: skip
    for shard in range(2):
        subprocess.run([*args, "--shard", f"{shard}/2"], check=True, capture_output=True)
    return sorted(folder.glob("*.partial.json"))


def _forged_partials(folder: Path, partials: list[Path], change) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for number, path in enumerate(partials):
        data = json.loads(path.read_text())
        if number == 1:
            change(data)
        target = folder / path.name
        target.write_text(json.dumps(data))
        shutil.copy(path.parent / data["samples_file"], folder / data["samples_file"])
        out.append(str(target))
    return out


def issue20_cases(folder: Path, release: Path, samples, predictions: Path) -> list[tuple]:
    """``(name, input bytes, argv)`` of every issue-20 case."""
    cases = []
    store = str(folder / "out.sqlite")

    def add(name: str, size: int, argv: list[str]) -> None:
        cases.append((name, size, argv))

    source = _coco_source(folder / "png14000", 14000)
    add("build, 14000x14000 PNG", (folder / "png14000/images/big.png").stat().st_size,
        ["build", *source, "--out", store + "1", "--no-progress"])  # fmt: skip
    source = _coco_source(folder / "png6300", 6300)
    add("build, 6300x6300 PNG (under the limit)",
        (folder / "png6300/images/big.png").stat().st_size,
        ["build", *source, "--out", store + "2", "--no-progress"])  # fmt: skip
    source = _panoptic_source(folder / "pan6000", 6000)
    add("build, 6000x6000 panoptic PNG", (folder / "pan6000/png/p.png").stat().st_size,
        ["build", *source, "--out", store + "3", "--no-progress"])  # fmt: skip
    st = _stbench(folder / "st14000", 14000)
    add(
        "import-stbench, 14000x14000 PNG",
        (st / "images/a.png").stat().st_size,
        ["release", "import-stbench", str(st), "--version", "1", "--out", str(folder / "r1")],
    )
    st = _stbench(folder / "st150", 64, padding_mb=150)
    add(
        "import-stbench, 150 MB STBench file",
        (st / "STBench_MCQ.json").stat().st_size,
        ["release", "import-stbench", str(st), "--version", "1", "--out", str(folder / "r2")],
    )
    caption = folder / "captions200.json"
    _big_json_list(caption, 200, json.dumps({"id": 1, "image_id": 1, "caption": "a cat"}))
    source = _coco_source(folder / "cap", 64)
    add(
        "build, 200 MB caption file",
        caption.stat().st_size,
        ["build", f"{source[0]}:{caption}", "--out", store + "4", "--no-progress"],
    )
    coco = _coco_source(folder / "coco600k", 64, annotations=600_000)
    add("build, 60 MB COCO file, 600k annotations",
        (folder / "coco600k/instances.json").stat().st_size,
        ["build", *coco, "--out", store + "5", "--no-progress"])  # fmt: skip
    coco = _coco_source(folder / "coco240k", 64, annotations=240_000)
    add("build, COCO file at the limits: 240k annotations (960k containers) on one image",
        (folder / "coco240k/instances.json").stat().st_size,
        ["build", *coco, "--out", store + "6", "--no-progress"])  # fmt: skip
    floats = folder / "floats"
    coco = _coco_source(floats, 64, annotations=1)
    data = json.loads((floats / "instances.json").read_text())
    data["annotations"][0]["segmentation"] = [[1.5] * 12_000_000]
    (floats / "instances.json").write_text(json.dumps(data))
    add("build, COCO file at the limits: one polygon of 12 M numbers",
        (floats / "instances.json").stat().st_size,
        ["build", *coco, "--out", store + "7", "--no-progress"])  # fmt: skip
    deep = folder / "deep-release"
    shutil.copytree(release, deep)
    (deep / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)
    add("release show, manifest nested 100,000 deep", 200_000, ["release", "show", str(deep)])

    vt = next(s for s in samples if s.task == "vt_res")
    lines = predictions.read_text().splitlines()
    polygons = folder / "polygons.jsonl"
    with open(polygons, "w") as handle:
        for line in lines:
            entry = json.loads(line)
            if entry["id"] == vt.id:
                handle.write(f'{{"id": "{vt.id}", "prediction": [')
                handle.write(",".join(["[0,0,1,0,1,1]"] * 4_000_000))
                handle.write("]}\n")
            else:
                handle.write(line + "\n")
    add("evaluate, one line of 4 M tiny polygons", polygons.stat().st_size,
        ["evaluate", "--release", str(release), "--predictions", str(polygons), "--model", "m",
         "--tasks", "vt_res", "--out", str(folder / "e1")])  # fmt: skip

    add(
        "release verify --public-key /dev/zero",
        0,
        ["release", "verify", str(release), "--public-key", "/dev/zero"],
    )
    signed = folder / "signed-release"
    shutil.copytree(release, signed)
    with open(signed / "manifest.json.sig", "wb") as handle:
        handle.truncate(400 * MIB)  # sparse
    subprocess.run([sys.executable, "-m", "perbench.cli", "release", "keygen",
                    str(folder / "key")], check=True, capture_output=True)  # fmt: skip
    add(
        "release verify, 400 MB manifest.json.sig",
        400 * MIB,
        ["release", "verify", str(signed), "--public-key", str(folder / "key.pub")],
    )

    partials = _partials(folder / "parts", release, predictions)
    forged = {
        "merge, shard [0, 50000000]": lambda d: d.update(shard=[0, 50_000_000]),
        "merge, shard [0, 10**12]": lambda d: d.update(shard=[0, 10**12]),
        "merge, fraction 1e2000000000": lambda d: d["states"]["vt_res"].update(
            intersection={"fraction": "1e2000000000"}
        ),
    }
    for number, (name, change) in enumerate(forged.items()):
        paths = _forged_partials(folder / f"forged{number}", partials, change)
        add(name, 0, ["evaluate", "--merge", *paths, "--out", str(folder / f"m{number}")])
    return cases
