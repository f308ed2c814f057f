#!/usr/bin/env bash
# GPU verification on a machine with an NVIDIA GPU: the `gpu`-marked tests (CUDA vs CPU parity)
# and `veil bench` on 1080p images and video for both backends, then one table. Writes to $OUT (default:
# gpu-check/). A failing step is reported and the later steps still run; the exit status is then 1.
# Usage: scripts/gpu_check.sh                 (creates .venv via `make` if it is missing)
#        PYTHON=python3 scripts/gpu_check.sh  (an interpreter that already has the dependencies)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-gpu-check}
mkdir -p "$OUT"
exec > >(tee "$OUT/log.txt") 2>&1
if [ -z "${PYTHON:-}" ]; then
    [ -x .venv/bin/python ] || make .venv/.dev-installed || exit 1
    PYTHON=.venv/bin/python
fi
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
$PYTHON - <<'PY' || exit 1
import sys, torch
if not torch.cuda.is_available():
    sys.exit("no CUDA GPU visible to PyTorch")
print("GPU:", torch.cuda.get_device_name(), "| torch", torch.__version__, "| CUDA", torch.version.cuda)
PY
status=0
$PYTHON -m pytest -q -p no:cacheprovider -m gpu tests/gpu || status=1
export VEIL_DEVICE=cuda VEIL_THREADS=${VEIL_THREADS:-8}
$PYTHON -m service.cli bench images --synthetic --size 1280x720 --size 1920x1080 --size 3840x2160 \
    --runs 50 --json "$OUT/images.json" --plot "$OUT/throughput.png" || status=1
for backend in unet deeplabv3plus; do
    $PYTHON -m service.cli bench video --synthetic --size 1920x1080 --seconds 10 --backend "$backend" \
        --profile thorough --profile fast --json "$OUT/video-$backend.json" || status=1
done
$PYTHON scripts/bench_table.py "$OUT"/images.json "$OUT"/video-*.json 2>&1 | tee "$OUT/table.md" || status=1
exit $status
