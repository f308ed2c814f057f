"""The CUDA path (PyTorch engine, CUDA graphs) against the CPU (PyTorch) on the same weights.

Run by scripts/gpu_check.sh; skipped where no NVIDIA GPU is visible (CI is CPU-only). The CPU reference is
the torch engine, so the check needs only each model's safetensors (the ONNX exports are the CPU engine's
and are checked against torch by the CPU tests).
"""

from dataclasses import replace

import cv2
import numpy as np
import pytest

from service.bench.synthetic import synthetic_clip, synthetic_jpeg
from service.core.options import Options
from service.core.still import redact_with_mask
from service.core.video_pipeline import VideoOptions, redact_video
from service.inference.devices import Compute, cuda_available
from service.inference.registry import load_models
from service.media.video import VideoLimits, probe
from tests.conftest import FIXTURES, MODELS

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not cuda_available(), reason="no CUDA GPU visible")]


@pytest.fixture(scope="module")
def cuda_models():
    return load_models(MODELS, compute=Compute("cuda", "torch", 2))


@pytest.fixture(scope="module")
def cpu_models():
    return load_models(MODELS, compute=Compute("cpu", "torch", 4))


def _inputs() -> list[bytes]:
    photos = [(FIXTURES / f"street_faces_{n}.jpg").read_bytes() for n in (785, 809, 249)]
    return [*photos, synthetic_jpeg(1920, 1080)]


@pytest.mark.parametrize("backend", ["unet", "deeplabv3plus"])
def test_cuda_masks_match_the_cpu_masks_up_to_boundary_pixels(cpu_models, cuda_models, backend):
    opts = replace(Options(), backend=backend)
    for data in _inputs():
        _, cpu = redact_with_mask(cpu_models, data, opts, 1 << 26)
        _, gpu = redact_with_mask(cuda_models, data, opts, 1 << 26)
        union = np.logical_or(cpu, gpu).sum()
        differ = np.logical_xor(cpu, gpu)
        # Only a thin band along mask edges may differ (the face detector runs in fp16 on CUDA).
        band = cv2.dilate(cpu.astype(np.uint8), np.ones((5, 5), np.uint8)) - cv2.erode(
            cpu.astype(np.uint8), np.ones((5, 5), np.uint8))
        assert differ.sum() <= max(50, 0.03 * union)
        assert (differ & (band == 0)).sum() <= max(20, 0.005 * union)


def test_face_detector_on_cuda_finds_the_same_faces(cpu_models, cuda_models):
    rgb = cv2.cvtColor(cv2.imread(str(FIXTURES / "street_faces_809.jpg")), cv2.COLOR_BGR2RGB)
    a = cpu_models.face_detector.detect(rgb, 0.3, 960)
    b = cuda_models.face_detector.detect(rgb, 0.3, 960)
    assert len(a) == len(b) > 0
    assert np.abs(a[:, :4] - b[:, :4]).max() < 2.0


def _all_confident_found(a, b, margin=0.05):
    """Every detection of ``a`` clear of its threshold is in ``b`` (the fp16 face detector may flip one
    right at it)."""
    opts = Options()
    floor = {"faces": opts.face_threshold + margin, "plates": opts.plate_threshold + margin}
    for d in a:
        if d.score >= floor[d.cls]:
            assert any(e.cls == d.cls and np.abs(np.subtract(d.box, e.box)).max() <= 3 for e in b), d.box


def test_a_batch_of_frames_on_cuda_finds_what_each_frame_finds_alone_on_the_cpu(cpu_models,
                                                                                   cuda_models):
    from service.core.pipeline import detect, detect_many

    rgb = cv2.cvtColor(cv2.imread(str(FIXTURES / "street_faces_809.jpg")), cv2.COLOR_BGR2RGB)
    frames = [np.ascontiguousarray(np.roll(rgb, 16 * k, axis=1)) for k in range(cuda_models.frame_batch)]
    for frame, found in zip(frames, detect_many(cuda_models, frames, Options()), strict=True):
        alone = detect(cpu_models, frame, Options())
        assert len(alone) > 0
        _all_confident_found(alone, found)
        _all_confident_found(found, alone)


def test_a_graph_replay_matches_the_eager_model_at_every_batch_size():
    import torch

    from service.inference.model_files import load_torch_model
    from service.inference.torch_cuda import GraphRunner, fold_batchnorm

    model = load_torch_model(MODELS / "faces-unet")[0]
    fold_batchnorm(model)
    model = model.to("cuda", memory_format=torch.channels_last)
    runner = GraphRunner(model)
    g = torch.Generator(device="cuda").manual_seed(0)
    for n in (1, 3, 5, 3, 8):
        x = torch.randn(n, 3, 128, 128, device="cuda", generator=g)
        x = x.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            ref = model(x).float()
            out = runner(x)[0].float()
        assert out.shape == ref.shape
        assert (out - ref).abs().max() <= 1e-3 * ref.abs().max()
    assert not runner.eager and len(runner.graphs) == 3  # batches padded to 1, 4 and 8


def test_video_on_cuda_keeps_every_frame(cuda_models, tmp_path):
    src = synthetic_clip(tmp_path / "c.mp4", 640, 360, seconds=1.0)
    dst = tmp_path / "out.mp4"
    redact_video(cuda_models, src, dst, Options(), VideoOptions(stride=2), VideoLimits())
    assert probe(dst, VideoLimits()).frames == probe(src, VideoLimits()).frames


def _tracked_masks(models, frames, stride):
    """Per frame, the union of the tracked (propagated, camera-compensated) masks, as the video path
    builds them with ``models.frame_batch``."""
    from service.core.masks import paint
    from service.core.motion import CameraMotion
    from service.core.tracking import for_stride
    from service.core.video_pipeline import FrameBatcher, frame_detections_many

    h, w = frames[0].shape[:2]
    opts = Options()
    batcher = FrameBatcher(lambda fs: frame_detections_many(models, fs, opts), for_stride(w, h, stride, 6, 6),
                           stride, models.frame_batch)
    motion, items = CameraMotion(), []
    for t, rgb in enumerate(frames):
        items += batcher.push(t, rgb, motion.step(rgb))
    items += batcher.flush()
    return [paint(objects, (h, w)) for _, _, objects in items]


def test_tracked_video_masks_on_cuda_in_batches_match_the_cpu_frame_by_frame(cpu_models, cuda_models,
                                                                           tmp_path):
    """Frame batches of 8 on CUDA against batch 1 on the CPU, stride 4, with the measured camera motion:
    every frame's mask agrees up to boundary pixels."""
    import av

    src = synthetic_clip(tmp_path / "c.mp4", 1280, 720, seconds=2.0)
    with av.open(str(src)) as f:
        frames = [fr.to_ndarray(format="rgb24") for fr in f.decode(video=0)]
    gpu = _tracked_masks(cuda_models, frames, 4)
    cpu = _tracked_masks(replace(cpu_models, frame_batch=1), frames, 4)
    assert len(gpu) == len(cpu) == len(frames)
    assert sum(m.any() for m in cpu) == len(frames)  # the clip has objects in every frame
    for a, b in zip(cpu, gpu, strict=True):
        union = np.logical_or(a, b).sum()
        assert np.logical_xor(a, b).sum() <= max(50, 0.03 * union)
