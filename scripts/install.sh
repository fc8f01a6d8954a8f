#!/usr/bin/env bash
# Create .venv and install chidao with its test tools, at the versions of requirements.lock. Safe to run again.
# VENV (default .venv) and CONSTRAINTS (default requirements.lock) choose another folder and pins: the floors
# job (scripts/test-floors.sh) installs the oldest versions pyproject.toml allows this way.
#
# PyTorch comes first, and as the CPU build: a plain `pip install torch` from PyPI brings the multi-GB CUDA
# build. It is taken from PyTorch's CPU wheel index (TORCH_INDEX), as the Dockerfile does. To choose another
# build, name its index (and, if you like, another release), e.g. for CUDA 12.6:
#   TORCH_INDEX=https://download.pytorch.org/whl/cu126 bash scripts/install.sh
# requirements.lock pins torch without a build label, so any build of TORCH_VERSION satisfies it.
# Where the index does not answer (a machine that reaches only PyPI), pip's own configuration is asked for the
# labelled build (torch==2.13.0+cpu: a wheel on local disk or a mirror), never for PyPI's CUDA build.
#
#   PYTHON=python3.12 bash scripts/install.sh     # another Python (3.11 to 3.13)
set -euo pipefail
cd "$(dirname "$0")/.."
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
TORCH_INDEX=${TORCH_INDEX:-https://download.pytorch.org/whl/cpu}
VENV=${VENV:-.venv}
CONSTRAINTS=${CONSTRAINTS:-requirements.lock}
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
pip() { "$VENV/bin/pip" --disable-pip-version-check "$@" 2>&1 | { grep -v "^WARNING: Location" || true; }; return "${PIPESTATUS[0]}"; }

if "$VENV/bin/python" -c "import sys, torch; sys.exit(torch.__version__.split('+')[0] != sys.argv[1])" \
    "$TORCH_VERSION" 2>/dev/null; then
  :  # this release of torch is installed (whichever build was chosen the first time)
elif "$VENV/bin/python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + '/torch/', timeout=15)" \
    "${TORCH_INDEX%/}" 2>/dev/null; then
  pip install -q --index-url "$TORCH_INDEX" "torch==$TORCH_VERSION"
else
  build=${TORCH_INDEX%/}; build=${build##*/}
  echo "install: $TORCH_INDEX does not answer; asking pip's own sources for torch==$TORCH_VERSION+$build" >&2
  pip install -q "torch==$TORCH_VERSION+$build" || {
    echo "install: no $build build of torch $TORCH_VERSION found; set TORCH_INDEX to a reachable PyTorch index" >&2
    exit 1
  }
fi
pip install -q -c "$CONSTRAINTS" -e ".[dev]"
"$VENV/bin/python" -c "import torch, sentence_transformers, faiss, bm25s, telegram"
