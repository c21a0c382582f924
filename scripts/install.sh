#!/usr/bin/env bash
# Install everything the suite needs on a fresh Debian machine (as root) or into the current
# Python environment: system packages (Java for METEOR 1.5, chromium for the browser test,
# WordNet 3.0 files for NLTK's METEOR), the CPU build of torch, then perbench with every extra.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    openjdk-17-jre-headless chromium wordnet-base wordnet-sense-index >/dev/null
fi

# torch first and pinned: a later unpinned request must not pull a CUDA build.
python -m pip install -q "torch==2.13.0"
python -m pip install -q -e ".[all]"
perbench setup-wordnet
