"""Tests run with capped BLAS/OpenMP/torch threads (tests/conftest.py), so parallel jobs on a
few cores do not oversubscribe them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CAPPED = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def test_thread_variables_are_capped_for_this_process_and_its_children():
    cap = os.environ.get("PERBENCH_TEST_THREADS", "1")
    assert all(os.environ[name] == cap for name in CAPPED)
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.environ['OMP_NUM_THREADS'])"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert child.stdout.strip() == cap


def test_torch_uses_the_capped_thread_count():
    torch = pytest.importorskip("torch")
    assert torch.get_num_threads() == int(os.environ.get("PERBENCH_TEST_THREADS", "1"))
