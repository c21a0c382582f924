"""Scoring on the submission server: the benchmarks it holds and a bounded queue of workers.

API:
  Benchmark(public, key)             a withheld release and its answer key, verified on load
  Benchmark.validate(path)           the same checks and messages as ``perbench evaluate``
  score_both(benchmark, predictions, model, revision, out_dir, on_progress) -> {protocol: path}
      ``official`` then ``strict``; ``on_progress(done, total)`` over both
  QueueFull                          the queue holds ``capacity`` jobs already
  ScoringQueue(run, workers=1, capacity=8)
      .submit(job_id, *args)         queue ``run(job_id, *args, progress=callback)``
      .progress(job_id) -> {"done", "total", "state"} | None
      .stop()

A job's function runs in a worker thread; its outcome is recorded by the function itself (the
server appends ``scored`` or ``failed`` to its ledger), so a crash of one job never stops the
queue. ``score_both`` has no state of its own: to move scoring off this machine, run it as a
remote task (a Ray ``@ray.remote`` function taking the paths) and keep the ledger here.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evaluators.api import evaluate
from evaluators.submission import SubmissionIndex, expected_from_release, index_submission
from perbench.errors import PerBenchError
from perbench.verified import open_verified
from perbench.withheld import KeyedRelease

PROTOCOL_ORDER = ("official", "strict")


class QueueFull(PerBenchError):
    """The scoring queue is full; the upload is refused and nothing is recorded."""


class Benchmark:
    """One withheld release the server scores against (its public part + the private key)."""

    def __init__(self, public: str | Path, key: str | Path):
        self.release = KeyedRelease(open_verified(public).path, key)
        self.name = f"{self.release.name}-{self.release.version}"
        self.fingerprint = self.release.fingerprint
        self.expected = expected_from_release(self.release)

    def validate(self, path: Path) -> SubmissionIndex:
        return index_submission(path, self.expected)


def score_both(
    benchmark: Benchmark,
    predictions: Path,
    model: str,
    revision: str | None,
    out_dir: Path,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Results of both protocols, written to ``out_dir``; ``{protocol: results}``."""
    total = len(benchmark.expected) * len(PROTOCOL_ORDER)
    results: dict[str, dict[str, Any]] = {}
    for number, protocol in enumerate(PROTOCOL_ORDER):
        offset = number * len(benchmark.expected)

        def step(done: int, _: int, offset: int = offset) -> None:
            if on_progress is not None:
                on_progress(offset + done, total)

        results[protocol] = evaluate(
            benchmark.release,
            predictions,
            model,
            revision=revision,
            protocol=protocol,
            out_dir=out_dir,
            verify=False,  # verified when the server loaded it
            progress=False,
            on_progress=step,
        )
    return results


class ScoringQueue:
    def __init__(self, run: Callable[..., None], workers: int = 1, capacity: int = 8):
        self._run = run
        self._jobs: queue.Queue = queue.Queue(maxsize=capacity)
        self._progress: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._work, daemon=True, name=f"scoring-{n}")
            for n in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, job_id: str, *args: Any) -> None:
        with self._lock:
            self._progress[job_id] = {"done": 0, "total": 0, "state": "queued"}
        try:
            self._jobs.put_nowait((job_id, args))
        except queue.Full:
            with self._lock:
                self._progress.pop(job_id, None)
            raise QueueFull(
                "the scoring queue is full", hint="try again in a few minutes"
            ) from None

    def progress(self, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            state = self._progress.get(job_id)
            return dict(state) if state else None

    def _update(self, job_id: str, **values: Any) -> None:
        with self._lock:
            self._progress.setdefault(job_id, {}).update(values)

    def _work(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                return
            job_id, args = item
            self._update(job_id, state="scoring")

            def report(done: int, total: int, job_id: str = job_id) -> None:
                self._update(job_id, done=done, total=total)

            try:
                self._run(job_id, *args, progress=report)
            finally:
                self._update(job_id, state="finished")
                self._jobs.task_done()

    def stop(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)
