#!/usr/bin/env bash
# Train one model on a lent GPU: `veil train <args> --device cuda`, log under $OUT.
#   WHEELS=dir   wheels the machine lacks, installed into /tmp/site first (optional)
#   PYTHON=...   an interpreter with torch (default python3)
# Example (the face finder): OUT=/tmp/out WHEELS=gpu_carry/wheels bash scripts/gpu_train.sh face-finder
#   --arch unet --encoder efficientnet_lite0 --data gpu_carry/data --out /tmp/out/face-finder
#   --batch 16 --size 320 --workers 12 --budget-seconds 400
set -uo pipefail
PY=${PYTHON:-python3}
OUT=${OUT:?set OUT}
if [ -n "${WHEELS:-}" ]; then
  "$PY" -m pip install -q --no-deps --target /tmp/site "$WHEELS"/*.whl 2>&1 | tail -3
  export PYTHONPATH=/tmp/site:$PWD
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
"$PY" -c "import torch; print('torch', torch.__version__)" | tee -a "$OUT/gpu.txt"
"$PY" -m service.training.train "$@" --device cuda 2>&1 | tee "$OUT/train.log"
