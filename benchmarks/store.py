"""Candidate store hot path: one decision write, every candidate's state, the log's verification.

Usage: python benchmarks/store.py [--samples 80] [--sizes 0.3 1 4] [--log-size 3000]

For each image size (megapixels) a fresh store gets ``--samples`` samples (benchmarks/review.py's
samples: four per image), and each is accepted once with ``CandidateStore.record`` ("record":
the fsync'ed write, with the version hash, and since issue 20 the payload and image hashes).
Baseline, same process and disk: a bare INSERT + COMMIT of a row of the same size into a WAL
file with ``synchronous=FULL`` (the least an fsync'ed decision costs). On a store of
``--log-size`` candidates with as many decisions: ``states()`` (the whole log re-derived) and
``verify_log()`` (the chain, and since issue 20 every decided candidate's content).
Run it on two checkouts (``PYTHONPATH=<checkout>``) to compare them: each prints ratios to its
own same-process baseline. Prints p50/p95 in ms.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from perbench.store import CandidateStore

try:
    from review import _samples  # run as a script: benchmarks/ is on sys.path
except ImportError:  # imported as benchmarks.store
    from benchmarks.review import _samples


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def _baseline_ms(folder: Path, count: int) -> list[float]:
    conn = sqlite3.connect(folder / "baseline.sqlite", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT)")
    times = []
    for index in range(count):
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t(a, b, c) VALUES (?, ?, ?)", (f"s{index}", "x" * 64, "y" * 64))
        conn.execute("COMMIT")
        times.append(_ms(start))
    conn.close()
    return times


def bench_record(megapixels: float, count: int, folder: Path) -> dict[str, float]:
    store = CandidateStore(folder / f"record-{megapixels}.sqlite", create=True)
    store.add_candidates(_samples(megapixels, count))
    times = []
    for sample_id in store.candidate_ids():
        start = time.perf_counter()
        store.record(sample_id, "bench", "accept")
        times.append(_ms(start))
    return {
        "record_p50": statistics.median(times),
        "record_p95": float(np.percentile(times, 95)),
    }


def bench_log(size: int, folder: Path) -> dict[str, float]:
    store = CandidateStore(folder / "log.sqlite", create=True)
    samples = _samples(0.3, size)
    store.add_candidates(samples)
    for sample in samples:
        store.record(sample.id, "bench", "accept")
    states = []
    for _ in range(5):
        start = time.perf_counter()
        store.states()
        states.append(_ms(start))
    start = time.perf_counter()
    check = store.verify_log()
    verify = _ms(start)
    if not check.ok:
        raise RuntimeError(f"the benchmark's own log does not verify: {check}")
    return {"states_p50": statistics.median(states), "verify": verify}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=80)
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.3, 1.0, 4.0])
    parser.add_argument("--log-size", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="perbench-bench-store-") as folder:
        folder = Path(folder)
        baseline = _baseline_ms(folder, args.samples)
        base_p50 = statistics.median(baseline)
        print(
            f"baseline INSERT+COMMIT (WAL, synchronous=FULL): p50 {base_p50:.2f} ms, "
            f"p95 {float(np.percentile(baseline, 95)):.2f} ms"
        )
        print("MP    record p50 / p95 ms   record p50 / baseline p50")
        for megapixels in args.sizes:
            row = bench_record(megapixels, args.samples, folder)
            print(
                f"{megapixels:<5} {row['record_p50']:7.2f} / {row['record_p95']:<7.2f}    "
                f"{row['record_p50'] / base_p50:6.2f}x"
            )
        log = bench_log(args.log_size, folder)
        print(
            f"{args.log_size} candidates and decisions: states() p50 {log['states_p50']:.1f} ms "
            f"({log['states_p50'] / base_p50:.1f}x baseline), verify_log() {log['verify']:.1f} ms "
            f"({log['verify'] / base_p50:.1f}x baseline)"
        )


if __name__ == "__main__":
    main()
