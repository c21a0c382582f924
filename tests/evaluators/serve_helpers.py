"""Shared set-up of the submission server tests: a withheld release, teams, full predictions.

API:
  TEAMS                                   {"red": ..., "blue": ...}
  withheld(release_path, tmp) -> (public, key)
  complete_predictions(samples) -> list[dict]    every sample predicted (tricky cases included)
  secrets_of(samples) -> list[str]         strings that must never appear in a response:
                                           reference texts and target RLE counts
  wait_scored(client, submission_id, timeout_s) -> dict    the final /api state
"""

from __future__ import annotations

import time
from pathlib import Path

from perbench.schema import Sample
from perbench.withheld import withhold_release

TEAMS = {"red": "red-token-1", "blue": "blue-token-2"}


def withheld(release_path: Path, tmp: Path) -> tuple[Path, Path]:
    return withhold_release(release_path, tmp / "public", tmp / "answers.key.json", progress=False)


def complete_predictions(samples: list[Sample], tricky: list[dict]) -> list[dict]:
    given = {entry["id"] for entry in tricky}
    filler = {"description": "an object", "mcq": "A", "vt_res": None}
    return tricky + [
        {"id": s.id, "prediction": filler[s.task]} for s in samples if s.id not in given
    ]


def secrets_of(samples: list[Sample]) -> list[str]:
    found = []
    for sample in samples:
        found += sample.references or []
        found += [t["counts"] for t in sample.targets or [] if len(t["counts"]) >= 12]
    return found


def wait_scored(client, submission_id: str, timeout_s: float = 600.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = client.get(f"/api/submissions/{submission_id}").json()
        if state["status"] != "scoring":
            return state
        time.sleep(0.2)
    raise TimeoutError(f"submission {submission_id} still scoring after {timeout_s} s")
