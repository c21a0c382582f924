"""benchmarks/build.py reads a child's own peak memory, not the parent's carried over exec."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "build.py"
READ_PEAK = (
    "import importlib.util, sys\n"
    f"spec = importlib.util.spec_from_file_location('build_bench', {str(SCRIPT)!r})\n"
    "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
    "print(module._peak_rss_mb())\n"
)


def _own_peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def test_a_child_started_by_a_big_parent_reports_its_own_peak():
    ballast = np.ones(600 * 2**20, dtype=np.uint8)  # touched, so resident in this process
    parent_peak = _own_peak_mb()
    output = subprocess.run(
        [sys.executable, "-c", READ_PEAK], check=True, capture_output=True, text=True
    ).stdout
    child_peak = float(output.strip().splitlines()[-1])
    del ballast
    assert parent_peak > 600
    assert child_peak < parent_peak - 500
