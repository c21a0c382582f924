"""Build throughput and peak memory on a generated COCO-format source at 1x, 2x and 4x size.

1x = 1,000 images of 640x480, ~7 instances each with real-size polygons (builders.synthetic).
Each size is built in a fresh process (template drafter, one process, default settings); the
script prints candidates per second, peak RSS, and ratios against the 1x baseline of this run.

  python benchmarks/build.py [--base-images 1000] [--sizes 1 2 4] [--workdir /tmp/perbench-bench]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def child(folder: Path) -> None:
    from builders.build import build_store
    from perbench.sources.coco import CocoReader
    from perbench.store import CandidateStore

    reader = CocoReader(folder / "instances.json", folder / "images", folder / "captions.json")
    started = time.perf_counter()
    reader.shards()
    index_seconds = time.perf_counter() - started
    index_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    store_path = folder / "store.db"
    store_path.unlink(missing_ok=True)
    started = time.perf_counter()
    summary = build_store([reader], store_path, progress=False)
    seconds = time.perf_counter() - started
    result = {
        "images": summary["images"],
        "candidates": sum(summary["tasks"].values()),
        "tasks": summary["tasks"],
        "index_seconds": index_seconds,
        "build_seconds": seconds,
        "rss_after_index_mb": index_rss,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "store_mb": store_path.stat().st_size / 2**20,
        "store_count": CandidateStore(store_path).count(),
    }
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-images", type=int, default=1000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/perbench-bench"))
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    from builders.synthetic import write_coco_source

    rows = []
    for size in args.sizes:
        folder = args.workdir / f"x{size}"
        if not (folder / "instances.json").is_file():
            started = time.perf_counter()
            write_coco_source(folder, args.base_images * size, instances_per_image=7, seed=size)
            print(f"generated {size}x in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        output = subprocess.run(
            [sys.executable, __file__, "--child", str(folder)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        rows.append((size, json.loads(output.strip().splitlines()[-1])))
    base = rows[0][1]
    print(
        "| size | images | candidates | build s | cand/s | peak RSS MB | RSS after index MB "
        "| time ratio | peak ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for size, row in rows:
        rate = row["candidates"] / row["build_seconds"]
        print(
            f"| {size}x | {row['images']} | {row['candidates']} | {row['build_seconds']:.1f} | "
            f"{rate:.0f} | {row['peak_rss_mb']:.0f} | {row['rss_after_index_mb']:.0f} | "
            f"{row['build_seconds'] / base['build_seconds']:.2f} | "
            f"{row['peak_rss_mb'] / base['peak_rss_mb']:.2f} |"
        )


if __name__ == "__main__":
    main()
