"""Build throughput and peak memory on a generated COCO-format source at 1x, 2x and 4x size.

1x = 1,000 images of 640x480, ~7 instances each with real-size polygons (builders.synthetic),
declared exhaustive (every drawn polygon is annotated) where the builders have the setting.
Each size is built in a fresh process (template drafter, one process, default settings); the
script prints candidates per second (wall and CPU time), peak RSS, the 1-minute load average at
the start and end of each build, and ratios against the 1x row of the same builders. Each build
leaves its store in WORKDIR/xSIZE/LABEL.db.

``--tree LABEL=PATH`` (repeatable) also builds the same sources with the builders of another
checkout (PATH goes first on PYTHONPATH), e.g. a ``git worktree`` of an earlier commit; those
trees run first, this checkout last (``--label``), and each row gives its speed against the first
tree's row of the same size. ``--one-size LABEL`` builds that tree at the first size only (one too
slow for the larger ones).

  python benchmarks/build.py [--base-images 1000] [--sizes 1 2 4] [--workdir /tmp/perbench-bench]
                             [--tree LABEL=PATH ...] [--one-size LABEL ...] [--label this]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mb() -> float:
    """This process's peak resident memory since exec (MB).

    ``ru_maxrss`` is not used: Linux carries it over exec from the parent, so a child started
    after the parent generated a large source would report the parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _declared() -> dict:
    """The generated source is exhaustive by construction: builders 3 need it declared; older
    builders took every COCO-format file as exhaustive (1.x has no such setting at all)."""
    from dataclasses import fields

    from builders.config import BuildConfig

    names = {f.name for f in fields(BuildConfig)}
    return {"exhaustive_sources": {"coco": True}} if "exhaustive_sources" in names else {}


def child(folder: Path, store_name: str) -> None:
    from builders.build import build_store
    from perbench.sources.coco import CocoReader
    from perbench.store import CandidateStore

    reader = CocoReader(folder / "instances.json", folder / "images", folder / "captions.json")
    started = time.perf_counter()
    reader.shards()
    index_seconds = time.perf_counter() - started
    index_rss = _peak_rss_mb()
    store_path = folder / store_name
    store_path.unlink(missing_ok=True)
    load_start = os.getloadavg()[0]
    cpu_start = _cpu_seconds()
    started = time.perf_counter()
    summary = build_store([reader], store_path, config=_declared(), progress=False)
    seconds = time.perf_counter() - started
    result = {
        "cpu_seconds": _cpu_seconds() - cpu_start,
        "load": [load_start, os.getloadavg()[0]],
        "images": summary["images"],
        "candidates": sum(summary["tasks"].values()),
        "tasks": summary["tasks"],
        "index_seconds": index_seconds,
        "build_seconds": seconds,
        "rss_after_index_mb": index_rss,
        "peak_rss_mb": _peak_rss_mb(),
        "store_mb": store_path.stat().st_size / 2**20,
        "store_count": CandidateStore(store_path).count(),
    }
    print(json.dumps(result))


def _trees(args: argparse.Namespace) -> list[tuple[str, Path]]:
    trees = []
    for entry in args.tree:
        label, _, path = entry.partition("=")
        if not label or not path or not Path(path, "builders").is_dir():
            raise SystemExit(f"--tree {entry!r}: give LABEL=PATH, PATH a checkout with builders/")
        trees.append((label, Path(path).resolve()))
    return [*trees, (args.label, Path(__file__).resolve().parents[1])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-images", type=int, default=1000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/perbench-bench"))
    parser.add_argument("--tree", action="append", default=[], metavar="LABEL=PATH")
    parser.add_argument("--one-size", action="append", default=[], metavar="LABEL")
    parser.add_argument("--label", default="this")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--store", default="store.db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.store)
        return
    from builders.synthetic import write_coco_source

    trees = _trees(args)
    for size in args.sizes:
        folder = args.workdir / f"x{size}"
        if not (folder / "instances.json").is_file():
            started = time.perf_counter()
            write_coco_source(folder, args.base_images * size, instances_per_image=7, seed=size)
            print(f"generated {size}x in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    rows = []
    for label, tree in trees:
        for size in args.sizes[:1] if label in args.one_size else args.sizes:
            folder = args.workdir / f"x{size}"
            output = subprocess.run(
                [sys.executable, __file__, "--child", str(folder), "--store", f"{label}.db"],
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": str(tree)},
            ).stdout
            row = json.loads(output.strip().splitlines()[-1])
            print(f"{label} {size}x: {json.dumps(row)}", file=sys.stderr)
            rows.append((label, size, row))
    first = {size: row for label, size, row in rows if label == trees[0][0]}
    own = {}
    print(
        "| builders | size | images | candidates | build s | CPU s | cand/s | CPU cand/s "
        "| peak RSS MB | RSS after index MB | time ratio | CPU ratio | peak ratio | load start/end "
        f"| CPU cand/s vs {trees[0][0]} |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for label, size, row in rows:
        base = own.setdefault(label, row)
        cpu_rate = row["candidates"] / row["cpu_seconds"]
        against = first.get(size)
        speed = cpu_rate / (against["candidates"] / against["cpu_seconds"]) if against else None
        print(
            f"| {label} | {size}x | {row['images']} | {row['candidates']} | "
            f"{row['build_seconds']:.1f} | {row['cpu_seconds']:.1f} | "
            f"{row['candidates'] / row['build_seconds']:.0f} | {cpu_rate:.0f} | "
            f"{row['peak_rss_mb']:.0f} | {row['rss_after_index_mb']:.0f} | "
            f"{row['build_seconds'] / base['build_seconds']:.2f} | "
            f"{row['cpu_seconds'] / base['cpu_seconds']:.2f} | "
            f"{row['peak_rss_mb'] / base['peak_rss_mb']:.2f} | "
            f"{row['load'][0]:.1f} / {row['load'][1]:.1f} | "
            f"{'-' if speed is None else f'{speed:.2f}'} |"
        )


if __name__ == "__main__":
    main()
