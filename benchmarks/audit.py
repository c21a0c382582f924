"""Time and peak memory of the validity audit on generated candidate stores.

    python benchmarks/audit.py [--sizes 1000 10000 50000] [--meteor none]

For each size a store of that many GENERATED candidates (a third per task, 10 per image, 64x64
blank images, 5 annotated rectangles per image recorded in each V-T RES sample's meta) is
written, then audited in a fresh process (``audit_store``) so each size's peak RSS is its own.
Prints one Markdown row per size: candidates, build s, audit s, audit s per 1k candidates,
peak RSS MiB; the per-1k column shows whether time grows linearly.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from perbench.masks import encode
from perbench.schema import Sample
from perbench.store import CandidateStore

SIDE = 64
PER_IMAGE = 10
WORDS = "red blue green black white brown grey wooden metal small large round tall old new".split()
CATEGORIES = ["chair", "person", "bottle", "cup", "table"]


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (SIDE, SIDE), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def _box(x0: int, y0: int, w: int, h: int) -> dict:
    mask = np.zeros((SIDE, SIDE), dtype=np.uint8)
    mask[y0 : y0 + h, x0 : x0 + w] = 1
    return encode(mask)


def _image_samples(image: int, rng: np.random.Generator, png: bytes) -> list[Sample]:
    boxes = [_box(int(x), int(y), 8, 10) for x, y in rng.integers(0, SIDE - 12, size=(5, 2))]
    cats = [CATEGORIES[int(c)] for c in rng.integers(0, 3, size=5)]
    instances = [
        {"id": str(i), "category": c, "crowd": False, "exhaustive": True, "mask": m}
        for i, (c, m) in enumerate(zip(cats, boxes, strict=True))
    ]
    common = {"image_id": f"img{image}", "width": SIDE, "height": SIDE, "image": png}
    samples = []
    for k in range(PER_IMAGE):
        task = ("mcq", "vt_res", "description")[k % 3]
        prompt = [{"tag": "<region1>", "mask": boxes[k % 5]}]
        sid = f"s{image}-{k}"
        words = " ".join(rng.choice(WORDS, size=8))
        if task == "mcq":
            options = [str(v) for v in rng.choice(WORDS, size=4, replace=False)]
            sample = Sample(sid, task, question=f"What is <region1> like? {words}",
                            prompts=prompt, options=options, answer=int(rng.integers(4)),
                            meta={"family": "color"}, **common)  # fmt: skip
        elif task == "vt_res":
            target = int(rng.integers(5))
            sample = Sample(sid, task, question=f"Please segment the {cats[target]} near "
                            "<region1>.", prompts=prompt, targets=[boxes[target]],
                            meta={"category": cats[target], "relation": {"name": "nearest"},
                                  "image_instances": instances}, **common)  # fmt: skip
        else:
            sample = Sample(sid, task, question="Please describe <region1> in detail.",
                            prompts=prompt, references=[f"A {words} object."],
                            meta={"category": cats[k % 5]}, **common)  # fmt: skip
        samples.append(sample)
    return samples


def build(path: Path, size: int, seed: int = 0) -> float:
    start = time.perf_counter()
    store = CandidateStore(path, create=True)
    rng = np.random.default_rng(seed)
    png = _png()
    batch: list[Sample] = []
    for image in tqdm(range(size // PER_IMAGE), desc=f"generating {size}", unit="image"):
        batch += _image_samples(image, rng, png)
        if len(batch) >= 2000:
            store.add_candidates(batch)
            batch = []
    if batch:
        store.add_candidates(batch)
    return time.perf_counter() - start


def audit_child(path: str, meteor: str) -> None:
    from evaluators.audit.run import AuditOptions, audit_store

    start = time.perf_counter()
    audit_store(CandidateStore(path), AuditOptions(meteor=meteor, progress=False))
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mib": peak}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--meteor", default="none", choices=("none", "nltk", "java"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        audit_child(args.child, args.meteor)
        return
    print(f"# {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print("| candidates | build s | audit s | audit s per 1k | peak RSS MiB |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            path = Path(folder) / f"store-{size}.sqlite"
            built = build(path, size)
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(path), "--meteor", args.meteor],
                capture_output=True,
                text=True,
                check=True,
            )
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            per_k = figures["seconds"] / (size / 1000)
            print(
                f"| {size} | {built:.1f} | {figures['seconds']:.1f} | {per_k:.2f} | "
                f"{figures['peak_mib']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
