#!/usr/bin/env bash
# Installs what `askbuddyx export --format peft` and its logits test need: a CPU build of torch,
# then the `export` extra (peft). Order matters: peft depends on torch, and installing it first
# would pull PyPI's default torch with ~3 GB of CUDA libraries we never use.
#   1. a CPU wheel on disk: $TORCH_WHEEL, else the newest /opt/wheels/torch-*+cpu-*.whl
#   2. else PyTorch's CPU index (needs network)
# When neither works it says so and carries on: the PEFT logits test then skips with a reason.
set -u
PY="${1:-.venv/bin/python}"
if ! "$PY" -c "import torch" 2>/dev/null; then
  wheel="${TORCH_WHEEL:-$(ls /opt/wheels/torch-*+cpu-*.whl 2>/dev/null | sort -V | tail -n 1)}"
  if [ -n "$wheel" ] && [ -f "$wheel" ]; then
    echo "Installing torch (CPU) from $wheel ..."
    "$PY" -m pip install -q "$wheel" || exit 0
  else
    echo "Installing torch (CPU) from the PyTorch CPU index ..."
    "$PY" -m pip install -q torch --index-url https://download.pytorch.org/whl/cpu || {
      echo "note: torch not installed; PEFT export tests will skip (see README, Exports)."
      exit 0
    }
  fi
fi
"$PY" -m pip install -q -e '.[export]' || echo "note: the export extra (peft) did not install."
exit 0
