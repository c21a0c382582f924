#!/usr/bin/env bash
# PerBench in lmms-eval from a clean virtualenv (no system site-packages), then the end-to-end
# comparison with `perbench evaluate` (scripts/lmms_eval_e2e.py) run by that environment alone.
#   bash scripts/lmms_clean_venv.sh [VENV_DIR] [OUT_DIR]   (defaults /tmp/perbench-lmms-venv,
#                                                            /tmp/perbench-lmms-e2e)
# The install is the README's one command: torch 2.13.0 CPU first (TORCH_INDEX, e.g.
# https://download.pytorch.org/whl/cpu, or a local +cpu wheel that pip's find-links offers),
# lmms-eval 0.7.3 without its dependency list (its torchvision requirement would pull a CUDA
# torch), then perbench[lmms] from this checkout. The strict protocol is compared (official
# also needs WordNet: perbench setup-wordnet).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-/tmp/perbench-lmms-venv}"
out="${2:-/tmp/perbench-lmms-e2e}"
python -m venv "$venv"
"$venv/bin/pip" install -q "torch==2.13.0" ${TORCH_INDEX:+--index-url "$TORCH_INDEX"}
"$venv/bin/pip" install -q --no-deps "lmms-eval==0.7.3"
"$venv/bin/pip" install -q ".[lmms]"
"$venv/bin/lmms-eval" --help > /dev/null  # the console script imports and starts
script="$PWD/scripts/lmms_eval_e2e.py"
cd /tmp  # the venv's perbench, not this checkout's
"$venv/bin/python" "$script" --out "$out" --protocol strict
