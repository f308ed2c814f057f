#!/usr/bin/env bash
# GPU verification on a machine with an NVIDIA GPU: the `gpu`-marked tests (CUDA vs CPU parity) and
# `veil bench` on 1080p images and video, then one table. Writes to $OUT (default: gpu-check/).
# Usage: scripts/gpu_check.sh            (creates .venv via `make` if it is missing)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-gpu-check}
mkdir -p "$OUT"
[ -x .venv/bin/veil ] || make .venv/.installed
BIN=.venv/bin
$BIN/python - <<'PY'
import sys, torch
if not torch.cuda.is_available():
    sys.exit("no CUDA GPU visible to PyTorch")
print("GPU:", torch.cuda.get_device_name(), "| torch", torch.__version__, "| CUDA", torch.version.cuda)
PY
$BIN/python -m pytest -q -m gpu tests/gpu 2>&1 | tee "$OUT/gpu-tests.txt"
export VEIL_DEVICE=cuda
$BIN/veil bench images --synthetic --size 1280x720 --size 1920x1080 --size 3840x2160 --runs 50 \
    --json "$OUT/images.json" --plot "$OUT/throughput.png"
$BIN/veil bench video --synthetic --size 1920x1080 --seconds 10 --stride 1 --stride 4 --json "$OUT/video.json"
$BIN/python scripts/bench_table.py "$OUT/images.json" "$OUT/video.json" | tee "$OUT/table.md"
