"""IoU of mask pairs on RLE versus decoding both masks to dense arrays and counting.

    python benchmarks/masks.py [--pairs 10000] [--height 480] [--width 640]

The dense baseline is what the anchors' evaluators do (decode, then numpy logical and/or).
Both paths run in this process on the same masks; the script prints times and the ratio.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
from tqdm import tqdm

from perbench import masks


def random_polygon_masks(count: int, height: int, width: int, seed: int) -> list[dict]:
    """Object-like masks: random star-shaped polygons covering 1-30% of the image."""
    rng = np.random.default_rng(seed)
    result = []
    for _ in range(count):
        center = rng.uniform([0.2 * width, 0.2 * height], [0.8 * width, 0.8 * height])
        radius = rng.uniform(0.05, 0.3) * min(height, width)
        angles = np.sort(rng.uniform(0, 2 * np.pi, 24))
        radii = radius * rng.uniform(0.6, 1.0, 24)
        points = np.stack(
            [center[0] + radii * np.cos(angles), center[1] + radii * np.sin(angles)], 1
        )
        result.append(masks.to_rle([points.ravel().tolist()], height, width))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--width", type=int, default=640)
    args = parser.parse_args()
    first = random_polygon_masks(args.pairs, args.height, args.width, seed=0)
    second = random_polygon_masks(args.pairs, args.height, args.width, seed=1)

    start = time.perf_counter()
    rle_ious = [
        masks.iou(a, b)
        for a, b in tqdm(zip(first, second, strict=True), total=args.pairs, desc="RLE")
    ]
    rle_seconds = time.perf_counter() - start

    start = time.perf_counter()
    dense_ious = []
    for a, b in tqdm(zip(first, second, strict=True), total=args.pairs, desc="dense"):
        da, db = masks.decode(a).astype(bool), masks.decode(b).astype(bool)
        union = np.logical_or(da, db).sum()
        dense_ious.append(1.0 if union == 0 else np.logical_and(da, db).sum() / union)
    dense_seconds = time.perf_counter() - start

    if not np.allclose(rle_ious, dense_ious):
        raise SystemExit("RLE and dense IoU disagree")
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {platform.system()}, python {platform.python_version()}")
    print(f"{args.pairs} pairs at {args.width}x{args.height}")
    print(f"RLE:   {rle_seconds:.3f} s ({args.pairs / rle_seconds:,.0f} pairs/s)")
    print(f"dense: {dense_seconds:.3f} s ({args.pairs / dense_seconds:,.0f} pairs/s)")
    print(f"ratio dense/RLE: {dense_seconds / rle_seconds:.1f}x")


if __name__ == "__main__":
    main()
