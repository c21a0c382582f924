"""Benchmark the evaluators: IoU metrics on RLE vs dense masks, METEOR with one JVM vs many.

  python benchmarks/evaluate.py [--pairs 10000 100000] [--meteor 1500] [--per-call 10]

``--pairs 0`` or ``--meteor 0`` leaves that part out.

1. cIoU/gIoU over N COCO-sized (480x640) prediction/target pairs: strict union IoU on RLE
   (``evaluators.mask_metrics.StrictVTRes``, pycocotools run-length arithmetic) versus decoding
   every mask to a dense array and counting pixels with numpy. Time and peak traced memory.
2. METEOR 1.5 over D descriptions: one JVM for the whole evaluation (the evaluator's way)
   versus a new JVM per description (measured on ``--per-call`` descriptions, extrapolated).
Prints ratios against the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import random
import time
import tracemalloc

import numpy as np

from evaluators.mask_metrics import StrictVTRes
from evaluators.meteor_jvm import MeteorJVM
from perbench.masks import decode, encode
from perbench.schema import Sample

H, W = 480, 640
WORDS = (
    "a the red blue green wooden metal small large chair table person bottle cup plate "
    "standing sitting near behind left right of on under with holding white black old"
).split()


def make_masks(count: int, rng: np.random.Generator) -> list[dict]:
    """Random ellipses and boxes of COCO-like sizes, as RLE."""
    yy, xx = np.mgrid[:H, :W]
    masks = []
    for _ in range(count):
        cy, cx = rng.integers(0, H), rng.integers(0, W)
        ry, rx = rng.integers(10, H // 2), rng.integers(10, W // 2)
        if rng.random() < 0.5:
            dense = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
        else:
            dense = (abs(yy - cy) <= ry) & (abs(xx - cx) <= rx)
        masks.append(encode(dense))
    return masks


def iou_rle(pairs, masks) -> tuple[float, float]:
    metric = StrictVTRes()
    for p, t in pairs:
        sample = Sample("s", "vt_res", "i", W, H, "q", [], targets=[masks[t]])
        metric.update(sample, [masks[p]])
    result = metric.result()
    return result["ciou"], result["giou"]


def iou_dense(pairs, masks) -> tuple[float, float]:
    inter_sum = union_sum = 0
    ious = 0.0
    for p, t in pairs:
        a, b = decode(masks[p]).astype(bool), decode(masks[t]).astype(bool)
        inter, union = int((a & b).sum()), int((a | b).sum())
        inter_sum, union_sum = inter_sum + inter, union_sum + union
        ious += inter / union if union else 1.0
    return inter_sum / union_sum, ious / len(pairs)


def measure(fn, *args):
    tracemalloc.start()
    start = time.perf_counter()
    value = fn(*args)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return value, seconds, peak


def bench_masks(sizes: list[int]) -> None:
    rng = np.random.default_rng(0)
    masks = make_masks(2000, rng)
    print("| pairs | RLE s | dense s | dense/RLE time | RLE peak MiB | dense peak MiB |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in sizes:
        pairs = [(int(a), int(b)) for a, b in rng.integers(0, len(masks), size=(n, 2))]
        (c1, g1), t_rle, m_rle = measure(iou_rle, pairs, masks)
        (c2, g2), t_dense, m_dense = measure(iou_dense, pairs, masks)
        assert abs(c1 - c2) < 1e-12 and abs(g1 - g2) < 1e-9, (c1, c2, g1, g2)
        print(
            f"| {n} | {t_rle:.2f} | {t_dense:.2f} | {t_dense / t_rle:.1f}x | "
            f"{m_rle / 2**20:.1f} | {m_dense / 2**20:.1f} |"
        )


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30)))


def bench_meteor(count: int, per_call: int) -> None:
    rng = random.Random(0)
    data = [(sentence(rng), [sentence(rng), sentence(rng)]) for _ in range(count)]
    start = time.perf_counter()
    with MeteorJVM() as jvm:
        stats = [jvm.stats(h, r) for h, r in data]
        one_scores, _ = jvm.scores(stats)
    one_jvm = time.perf_counter() - start
    start = time.perf_counter()
    for h, r in data[:per_call]:
        with MeteorJVM() as jvm:
            jvm.scores([jvm.stats(h, r)])
    per_call_each = (time.perf_counter() - start) / per_call
    print(f"| descriptions | one JVM s | JVM per call s (from {per_call} calls) | ratio |")
    print("| ---: | ---: | ---: | ---: |")
    print(
        f"| {count} | {one_jvm:.1f} | {per_call_each * count:.0f} (est., "
        f"{per_call_each:.2f} s/call) | {per_call_each * count / one_jvm:.0f}x |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--meteor", type=int, default=1500)
    parser.add_argument("--per-call", type=int, default=10)
    args = parser.parse_args()
    if any(args.pairs):
        bench_masks([n for n in args.pairs if n])
    if args.meteor:
        bench_meteor(args.meteor, args.per_call)


if __name__ == "__main__":
    main()
