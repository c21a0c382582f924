"""Candidate store hot path: one decision write, every candidate's state, the log's verification.

Usage: python benchmarks/store.py [--samples 120] [--sizes 0.3 4] [--log-size 2000]

For each image size (megapixels) a fresh store gets ``--samples`` samples (benchmarks/review.py's
samples: four per image), and each is accepted once with ``CandidateStore.record`` ("record":
the fsync'ed write, with the version hash, and since issue 20 the payload and image hashes).
On a store of ``--log-size`` candidates with as many decisions: ``states()`` (the whole log
re-derived) and ``verify_log()`` (the chain, and since issue 20 every decided candidate's
content). Each figure is the process's CPU time (``time.process_time``: fsync waits, which a
disk shared with other jobs makes vary tenfold, are left out; the wall p50 is printed too), as
a ratio to a same-process baseline: decoding one 0.3 MP JPEG (``perbench.render.load_rgb``).
Run it on two checkouts (``PYTHONPATH=<checkout>``) to compare them through those ratios.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from perbench.render import load_rgb
from perbench.store import CandidateStore

try:
    from review import _samples  # run as a script: benchmarks/ is on sys.path
except ImportError:  # imported as benchmarks.store
    from benchmarks.review import _samples


def _timed(action: Callable[[], object]) -> tuple[float, float]:
    """(CPU ms, wall ms) of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    action()
    return (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000


def baseline_ms(repeats: int = 200) -> float:
    """CPU ms of decoding a 0.3 MP JPEG, median of ``repeats``."""
    data = _samples(0.3, 1)[0].image
    return statistics.median(_timed(lambda: load_rgb(data))[0] for _ in range(repeats))


def bench_record(megapixels: float, count: int, folder: Path) -> dict[str, float]:
    store = CandidateStore(folder / f"record-{megapixels}.sqlite", create=True)
    store.add_candidates(_samples(megapixels, count))
    times = [
        _timed(lambda sample_id=sample_id: store.record(sample_id, "bench", "accept"))
        for sample_id in store.candidate_ids()
    ]
    return {
        "cpu": statistics.median(t[0] for t in times),
        "wall": statistics.median(t[1] for t in times),
    }


def bench_log(size: int, folder: Path) -> dict[str, float]:
    store = CandidateStore(folder / "log.sqlite", create=True)
    samples = _samples(0.3, size)
    store.add_candidates(samples)
    for sample in samples:
        store.record(sample.id, "bench", "accept")
    states = [_timed(store.states) for _ in range(5)]
    verify = [_timed(store.verify_log) for _ in range(3)]
    if not store.verify_log().ok:
        raise RuntimeError("the benchmark's own log does not verify")
    return {
        "states_cpu": statistics.median(t[0] for t in states),
        "verify_cpu": statistics.median(t[0] for t in verify),
        "verify_wall": statistics.median(t[1] for t in verify),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=120)
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.3, 4.0])
    parser.add_argument("--log-size", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="perbench-bench-store-") as folder:
        folder = Path(folder)
        base = baseline_ms()
        print(f"baseline: decode of a 0.3 MP JPEG, {base:.2f} ms CPU")
        for megapixels in args.sizes:
            row = bench_record(megapixels, args.samples, folder)
            print(
                f"record {megapixels} MP: p50 {row['cpu']:.2f} ms CPU = {row['cpu'] / base:.2f}x "
                f"baseline (wall p50 {row['wall']:.1f} ms)"
            )
        log = bench_log(args.log_size, folder)
        print(
            f"{args.log_size} candidates and decisions: states() {log['states_cpu']:.0f} ms CPU "
            f"= {log['states_cpu'] / base:.1f}x; verify_log() {log['verify_cpu']:.0f} ms CPU = "
            f"{log['verify_cpu'] / base:.1f}x (wall {log['verify_wall']:.0f} ms)"
        )


if __name__ == "__main__":
    main()
