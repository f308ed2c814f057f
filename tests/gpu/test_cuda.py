"""The CUDA path (PyTorch fp16 engine) against the CPU reference; run by scripts/gpu_check.sh.

Skipped where no NVIDIA GPU is visible (CI is CPU-only).
"""

from dataclasses import replace

import cv2
import numpy as np
import pytest

from service.bench.synthetic import synthetic_clip, synthetic_jpeg
from service.core.options import Options
from service.core.still import redact_with_mask
from service.core.video_pipeline import VideoOptions, redact_video
from service.inference.devices import Runtime, cuda_available
from service.inference.registry import load_models
from service.media.video import VideoLimits, probe
from tests.conftest import FIXTURES, MODELS

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not cuda_available(), reason="no CUDA GPU visible")]


@pytest.fixture(scope="module")
def cuda_models():
    return load_models(MODELS, runtime=Runtime("cuda", "torch", 2))


def _inputs() -> list[bytes]:
    photos = [(FIXTURES / f"street_faces_{n}.jpg").read_bytes() for n in (785, 809, 249)]
    return [*photos, synthetic_jpeg(1920, 1080)]


@pytest.mark.parametrize("backend", ["unet", "deeplabv3plus"])
def test_cuda_masks_match_the_cpu_masks_up_to_boundary_pixels(default_models, cuda_models, backend):
    opts = replace(Options(), backend=backend)
    for data in _inputs():
        _, cpu = redact_with_mask(default_models, data, opts, 1 << 26)
        _, gpu = redact_with_mask(cuda_models, data, opts, 1 << 26)
        union = np.logical_or(cpu, gpu).sum()
        differ = np.logical_xor(cpu, gpu)
        # Only a thin band along mask edges may differ (fp16 vs fp32 near the threshold).
        band = cv2.dilate(cpu.astype(np.uint8), np.ones((5, 5), np.uint8)) - cv2.erode(
            cpu.astype(np.uint8), np.ones((5, 5), np.uint8))
        assert differ.sum() <= max(50, 0.03 * union)
        assert (differ & (band == 0)).sum() <= max(20, 0.005 * union)


def test_face_detector_on_cuda_finds_the_same_faces(default_models, cuda_models):
    rgb = cv2.cvtColor(cv2.imread(str(FIXTURES / "street_faces_809.jpg")), cv2.COLOR_BGR2RGB)
    a = default_models.face_detector.detect(rgb, 0.3, 960)
    b = cuda_models.face_detector.detect(rgb, 0.3, 960)
    assert len(a) == len(b) > 0
    assert np.abs(a[:, :4] - b[:, :4]).max() < 2.0


def test_a_batch_of_frames_on_cuda_finds_what_each_frame_finds_alone_on_the_cpu(default_models,
                                                                                   cuda_models):
    from service.core.pipeline import detect, detect_many

    rgb = cv2.cvtColor(cv2.imread(str(FIXTURES / "street_faces_809.jpg")), cv2.COLOR_BGR2RGB)
    frames = [np.ascontiguousarray(np.roll(rgb, 16 * k, axis=1)) for k in range(cuda_models.frame_batch)]
    for frame, found in zip(frames, detect_many(cuda_models, frames, Options()), strict=True):
        alone = detect(default_models, frame, Options())
        assert len(found) == len(alone) > 0
        for a, b in zip(sorted(alone, key=lambda d: d.box), sorted(found, key=lambda d: d.box), strict=True):
            assert a.cls == b.cls and np.abs(np.subtract(a.box, b.box)).max() <= 3


def test_video_on_cuda_keeps_every_frame(cuda_models, tmp_path):
    src = synthetic_clip(tmp_path / "c.mp4", 640, 360, seconds=1.0)
    dst = tmp_path / "out.mp4"
    redact_video(cuda_models, src, dst, Options(), VideoOptions(stride=2), VideoLimits())
    assert probe(dst, VideoLimits()).frames == probe(src, VideoLimits()).frames
