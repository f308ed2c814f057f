"""Video redaction on the still-image core plus temporal propagation; output only on full success."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from service.core.detections import Detection
from service.core.masks import apply_ignore, grow, region_detections
from service.core.options import Options
from service.core.pipeline import detect
from service.core.redaction import redact
from service.core.timing import NO_TIMER, StageTimer
from service.core.tracking import Final, for_stride
from service.errors import TooLargeError
from service.inference.registry import ModelSet
from service.media.video import (
    CONTAINERS,
    OUTPUT_CODECS,
    OUTPUT_TYPES,
    VideoInfo,
    VideoLimits,
    probe,
    transcode,
)

WEAK_FACTOR = 0.5
"""Face proposals down to this share of the face threshold are kept as *weak*: they extend tracks."""


def frame_detections(models: ModelSet, rgb: np.ndarray, opts: Options, timer: StageTimer = NO_TIMER
                     ) -> tuple[list[Detection], list[Detection]]:
    """(detections, weak face detections) of one frame, both dilated as the options ask."""
    h, w = rgb.shape[:2]
    low = replace(opts, face_threshold=opts.face_threshold * WEAK_FACTOR)
    raw = detect(models, rgb, low, timer, confirm=False)
    found = [grow(d, opts.dilation_px, opts.dilation_pct, w, h) for d in raw]
    strong = [d for d in found if d.cls != "faces" or d.score >= opts.face_threshold]
    weak = [d for d in found if d.cls == "faces" and d.score < opts.face_threshold]
    return strong, weak


@dataclass(frozen=True)
class VideoOptions:
    stride: int = 1  # detect every n-th frame; propagation covers the rest
    window: int = 6  # look-ahead/behind in frames for interpolation
    hold: int = 6  # frames a track stays masked before first / after last sighting
    codec: str = "h264"
    crf: int = 20
    keep_audio: bool = True


def redact_video(models: ModelSet, src: Path, dst: Path, opts: Options, vopts: VideoOptions,
                 limits: VideoLimits, progress: Callable[[float], None] | None = None,
                 timer: StageTimer = NO_TIMER) -> VideoInfo:
    """Write the redacted video to ``dst`` atomically; on any failure ``dst`` is not created."""
    if vopts.codec not in OUTPUT_CODECS or vopts.stride < 1:
        raise ValueError("invalid video options")
    info = probe(src, limits)
    width, height = info.display_size
    prop = for_stride(width, height, vopts.stride, vopts.window, vopts.hold)
    regions = region_detections(list(opts.regions), (height, width))

    def finish(items: list[Final]) -> Iterator[tuple[int, np.ndarray]]:
        for t, frame, objects in items:
            assert isinstance(frame, np.ndarray)
            with timer.stage("redact"):
                objs = apply_ignore(objects + regions, list(opts.ignore), frame.shape[:2])
                out = redact(frame, objs, opts.mode, opts.feather, opts.colour)
            yield t, out

    def process(t: int, rgb: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
        found = frame_detections(models, rgb, opts, timer) if t % vopts.stride == 0 else (None,)
        with timer.stage("track"):
            items = prop.push(t, rgb, *found)
        return finish(items)

    def on_frame(n: int) -> None:
        if progress and info.frames:
            progress(min(1.0, n / info.frames))

    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=".veil-", suffix=dst.suffix or ".tmp")
    os.close(fd)
    try:
        transcode(src, Path(tmp), process, lambda: finish(prop.flush()), vopts.codec, vopts.crf,
                  vopts.keep_audio, on_frame, info.rotation, timer)
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return info


def output_type(info: VideoInfo) -> tuple[str, str]:
    """(media type, extension) of the redacted video: the input's container family."""
    return OUTPUT_TYPES[CONTAINERS[info.container]]


def redact_video_bytes(models: ModelSet, data: bytes, opts: Options, vopts: VideoOptions,
                       limits: VideoLimits, max_seconds: float) -> tuple[bytes, str, str]:
    """Short videos in one call: bytes in, (bytes, media type, extension) out; no temporary file
    outlives the call."""
    with tempfile.TemporaryDirectory(prefix="veil-") as work:
        src, dst = Path(work) / "input", Path(work) / "output"
        src.write_bytes(data)
        info = probe(src, limits)
        if info.seconds > max_seconds:
            raise TooLargeError("The video is too long for a synchronous request; use /v1/jobs.")
        redact_video(models, src, dst, opts, vopts, limits)
        return (dst.read_bytes(), *output_type(info))
