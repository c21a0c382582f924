#!/usr/bin/env bash
# A separate environment for running PerBench inside lmms-eval 0.7.3 on a CPU machine:
# a venv over the system site-packages (torch 2.13.0 CPU and perbench's own dependencies are
# reused), lmms-eval without its dependency list (its torchvision>=0.16 would bring a CUDA
# torch from PyPI), then perbench[lmms], the packages lmms-eval needs to import and run.
# Usage: bash scripts/install_lmms.sh [VENV_DIR]   (default /work/venvs/lmms)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-/work/venvs/lmms}"
python -m venv --system-site-packages "$venv"
constraints="$(mktemp)"
echo "torch==2.13.0" > "$constraints"
"$venv/bin/pip" install -q --no-deps "lmms-eval==0.7.3"
"$venv/bin/pip" install -q -c "$constraints" -e ".[lmms]"
rm -f "$constraints"
echo "run: PYTHONPATH=$PWD $venv/bin/python scripts/lmms_eval_e2e.py --out /tmp/lmms-e2e"
