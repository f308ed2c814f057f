"""Video redaction on the still-image core plus temporal propagation; output only on full success."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from service.core.edge_bands import EdgeBands
from service.core.follow import ObjectFlow
from service.core.masks import apply_ignore, grow
from service.core.motion import CameraMotion
from service.core.options import Options
from service.core.pipeline import detect_many
from service.core.redaction import redact
from service.core.second_look import Look, look
from service.core.strides import (
    EDGE_EVERY,
    EDGE_HOLD,
    FOLLOW_GROWTH,
    HOLD_FRAMES,
    HOLD_STRIDES,
    LOOKAHEAD_STRIDES,
    MIN_SPEED_PER_STRIDE,
    SEEN_PLATE_FLOOR,
)
from service.core.tracking import Final, Propagator, for_stride
from service.core.video_regions import VideoRegions
from service.errors import TooLargeError
from service.geometry import Detection, Found
from service.inference.face_detector import EDGE_PAD
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
from service.timing import NO_TIMER, StageTimer

WEAK_FACTOR = 0.5
"""Face proposals down to this share of the face threshold are kept as *weak*: they extend tracks."""


PLATE_SPECK_PX = 12
"""A plate found smaller than this (its box's long side, frame px) is a *speck*: like a weak face it
extends a plate's track, but starts one that is painted only once a second detected frame finds it
again (``CONFIRM_AFTER``); a plate already tracked stays covered however small it gets."""


def frame_detections(models: ModelSet, rgb: np.ndarray, opts: Options, timer: StageTimer = NO_TIMER,
                     speck: int = PLATE_SPECK_PX, plate_floor: float | None = None) -> Found:
    """(detections, weak detections) of one frame, both dilated as the options ask. Weak: faces under
    the face threshold (down to ``WEAK_FACTOR`` of it), plate specks under ``speck`` px, plates the
    verifier kept only just (``Detection.sure``): a look-alike seen once is not painted; and, with
    ``plate_floor``, the plates it turned down scoring at least that (``Detection.doubt``)."""
    return frame_detections_many(models, [rgb], opts, timer, speck, plate_floor)[0]


def frame_detections_many(models: ModelSet, frames: list[np.ndarray], opts: Options,
                          timer: StageTimer = NO_TIMER, speck: int = PLATE_SPECK_PX,
                          plate_floor: float | None = None) -> list[Found]:
    """``frame_detections`` for frames of one shape, the full-frame models run once on all of them."""
    if not frames:
        return []
    h, w = frames[0].shape[:2]
    low = replace(opts, face_threshold=opts.face_threshold * WEAK_FACTOR)
    out = []
    for raw in detect_many(models, frames, low, timer, confirm=False, edge_pad=EDGE_PAD,
                           plate_floor=plate_floor):
        weak = [(d.cls == "faces" and d.score < opts.face_threshold)
                or (d.cls == "plates" and (d.size < speck or not d.sure))
                for d in raw]
        found = [grow(d, opts.dilation_px, opts.dilation_pct, w, h) for d in raw]
        out.append(([d for d, k in zip(found, weak, strict=True) if not k],
                    [d for d, k in zip(found, weak, strict=True) if k]))
    return out


class FrameBatcher:
    """Holds frames until ``batch`` of them are due for detection (every ``stride``-th), detects those
    in one run and hands every held frame to the propagator in order; with batch 1, each frame as it
    comes. Batches feed a GPU; the held frames are bounded by batch × stride."""

    def __init__(self, detect_frames: Callable[[list[np.ndarray]], list[Found]], prop: Propagator,
                 stride: int, batch: int, timer: StageTimer = NO_TIMER,
                 look_at: Callable[[np.ndarray], Look] | None = None,
                 edges_at: Callable[[np.ndarray], Found] | None = None, edge_every: int = 0,
                 follow: ObjectFlow | None = None) -> None:
        self.detect_frames, self.prop, self.stride, self.batch, self.timer = (
            detect_frames, prop, stride, batch, timer)
        self.follow = follow  # follows each track's object into every frame (service.core.follow)
        self.look_at = look_at  # a detected frame's second look (service.core.second_look), if any
        # the side bands' search between detected frames (service.core.edge_bands), if any
        self.edges_at, self.edge_every = edges_at, edge_every
        self.held: list[tuple[int, np.ndarray, np.ndarray | None]] = []

    def push(self, t: int, rgb: np.ndarray, camera: np.ndarray | None = None) -> list[Final]:
        """Frame ``t`` with the picture's motion since frame ``t - 1`` (``CameraMotion``; None:
        unknown)."""
        due = t % self.stride == 0
        if not due and not self.held:
            return self._track([(t, rgb, camera)], {})
        self.held.append((t, rgb, camera))
        waiting = sum(held % self.stride == 0 for held, _, _ in self.held)
        return self._run() if waiting >= self.batch else []

    def flush(self) -> list[Final]:
        return self._run() + self.prop.flush()

    def _run(self) -> list[Final]:
        due = [(t, rgb) for t, rgb, _ in self.held if t % self.stride == 0]
        found = dict(zip([t for t, _ in due], self.detect_frames([rgb for _, rgb in due]), strict=True)
                     ) if due else {}
        items = self._track(self.held, found)
        self.held = []
        return items

    def _followed(self, t: int, rgb: np.ndarray) -> dict[int, np.ndarray] | None:
        if self.follow is None:
            return None
        targets = self.prop.follow_targets(t)
        steps = self.follow.step(rgb, [box for _, box in targets], t)
        return {i: a for (i, _), a in zip(targets, steps, strict=True) if a is not None}

    def _track(self, frames: list[tuple[int, np.ndarray, np.ndarray | None]], found: dict[int, Found]
               ) -> list[Final]:
        items: list[Final] = []
        back = self.follow.back if self.follow is not None and self.follow.keep else None
        with self.timer.stage("track"):
            for t, rgb, camera in frames:
                followed = self._followed(t, rgb)
                if t in found:
                    look = self.look_at(rgb) if self.look_at else None
                    items += self.prop.push(t, rgb, *found[t], camera=camera, look=look, followed=followed,
                                            back=back)
                elif self.edges_at and self.edge_every and t % self.edge_every == 0:
                    items += self.prop.push(t, rgb, *self.edges_at(rgb), camera=camera, partial=True,
                                            followed=followed, back=back)
                else:
                    items += self.prop.push(t, rgb, None, camera=camera, followed=followed)
        return items


@dataclass(frozen=True)
class VideoOptions:
    stride: int = 1  # detect every n-th frame; propagation covers the rest
    window: int = 6  # look-ahead/behind in frames for interpolation
    hold: int = HOLD_FRAMES  # frames a track stays masked before first / after last sighting
    codec: str = "h264"
    crf: int = 20
    keep_audio: bool = True
    second_look: bool = True  # search again, zoomed, where a track's object was missed
    edge_every: int = EDGE_EVERY  # between detected frames, search the side bands for faces (0: never)
    growth: float = MIN_SPEED_PER_STRIDE  # see service.core.strides
    hold_strides: int = HOLD_STRIDES
    lookahead_strides: int = LOOKAHEAD_STRIDES
    edge_hold: int = EDGE_HOLD
    follow: bool = True  # follow each tracked object between detections (service.core.follow)
    follow_back: bool = True  # and a new track back into the frames before its first sighting
    follow_growth: float = FOLLOW_GROWTH
    plate_speck_px: int = PLATE_SPECK_PX  # plates smaller than this must be found twice (0: never)
    seen_plate_floor: float | None = SEEN_PLATE_FLOOR  # see service.core.strides (None: never)
    face_work_size: int | None = None  # the full-frame models' long side (None: the service's)
    small_face_work_size: int | None = None  # the finer face pass's long side (None or 0: none)
    plate_work_size: int | None = None

    def check(self) -> None:
        if self.codec not in OUTPUT_CODECS or self.stride < 1 or self.edge_every < 0:
            raise ValueError("invalid video options")

    def propagator(self, width: int, height: int) -> Propagator:
        return for_stride(width, height, self.stride, self.window, self.hold, self.growth,
                          self.hold_strides, self.lookahead_strides, self.edge_hold, self.follow_growth)


Observer = Callable[[int, list[Detection]], None]
"""Sees each finished frame's index and the objects redacted in it (evaluation)."""


class FrameLoop:
    """The video frame loop of the product: detection every ``stride``-th frame, tracking, propagation
    and redaction, for frames pushed in order. ``redact_video`` runs it between decoder and encoder;
    evaluation runs the same object on frames it holds in memory, so what is measured is what is served.
    ``prepare`` (the camera's motion since the previous frame) must see every frame in order; the video
    path runs it in the decode thread."""

    def __init__(self, models: ModelSet, opts: Options, vopts: VideoOptions, width: int, height: int,
                 timer: StageTimer = NO_TIMER, observe: Observer | None = None, fps: float = 30.0) -> None:
        vopts.check()
        opts = replace(opts, face_work_size=opts.face_work_size or vopts.face_work_size,
                       small_face_work_size=opts.small_face_work_size or vopts.small_face_work_size or None,
                       plate_work_size=opts.plate_work_size or vopts.plate_work_size)
        self.opts, self.timer, self.observe = opts, timer, observe
        self.regions = VideoRegions(list(opts.regions), width, height, fps)
        self.fps = self.regions.fps
        prop = vopts.propagator(width, height)
        self.batcher = FrameBatcher(
            lambda frames: frame_detections_many(models, frames, opts, timer, vopts.plate_speck_px,
                                                 vopts.seen_plate_floor),
            prop, vopts.stride, models.frame_batch, timer,
            (lambda rgb: look(models, rgb, opts, timer)) if vopts.second_look else None,
            EdgeBands(models, opts, WEAK_FACTOR, timer), vopts.edge_every,
            ObjectFlow(keep=prop.hold + 2 if vopts.follow_back else 0) if vopts.follow else None)
        self.prepare = CameraMotion().step

    def push(self, t: int, rgb: np.ndarray, camera: np.ndarray | None) -> Iterator[tuple[int, np.ndarray]]:
        """Frame ``t`` and its ``prepare`` result; yields the frames now final, redacted."""
        return self._finish(self.batcher.push(t, rgb, camera))

    def flush(self) -> Iterator[tuple[int, np.ndarray]]:
        return self._finish(self.batcher.flush())

    def _finish(self, items: list[Final]) -> Iterator[tuple[int, np.ndarray]]:
        opts = self.opts
        for t, frame, objects in items:
            assert isinstance(frame, np.ndarray)
            with self.timer.stage("redact"):
                regions = self.regions.at_frame(t, frame)  # before redaction paints the frame
                ignore = [r for r in opts.ignore if r.active(t / self.fps)]
                objs = apply_ignore(objects + regions, ignore, frame.shape[:2])
                if self.observe:
                    self.observe(t, objs)
                # the propagator has let go of a finished frame: redact it where it lies
                out = redact(frame, objs, opts.mode, opts.feather, opts.colour,
                             in_place=frame.flags.writeable, strength=opts.strength)
            yield t, out


def redact_video(models: ModelSet, src: Path, dst: Path, opts: Options, vopts: VideoOptions,
                 limits: VideoLimits, progress: Callable[[float], None] | None = None,
                 timer: StageTimer = NO_TIMER, observe: Observer | None = None) -> VideoInfo:
    """Write the redacted video to ``dst`` atomically; on any failure ``dst`` is not created."""
    vopts.check()  # before probing: a bad option fails before the file is read
    info = probe(src, limits)
    width, height = info.display_size
    loop = FrameLoop(models, opts, vopts, width, height, timer, observe,
                     float(info.rate) if info.rate else 30.0)

    def on_frame(n: int) -> None:  # every frame, so a job can be cancelled or timed out at any time
        if progress:
            progress(min(1.0, n / info.frames) if info.frames else 0.0)

    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=".veil-", suffix=dst.suffix or ".tmp")
    os.close(fd)
    try:
        # the camera's motion is measured in the decode thread, beside the models
        transcode(src, Path(tmp), loop.push, loop.flush, vopts.codec, vopts.crf,
                  vopts.keep_audio, on_frame, info.rotation, timer, loop.prepare)
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return info


def output_type(info: VideoInfo) -> tuple[str, str]:
    """(media type, extension) of the redacted video: the input's container family."""
    return OUTPUT_TYPES[CONTAINERS[info.container]]


def redact_video_bytes(models: ModelSet, data: bytes, opts: Options, vopts: VideoOptions,
                       limits: VideoLimits, max_seconds: float,
                       progress: Callable[[float], None] | None = None) -> tuple[bytes, str, str]:
    """Short videos in one call: bytes in, (bytes, media type, extension) out; no temporary file
    outlives the call."""
    with tempfile.TemporaryDirectory(prefix="veil-") as work:
        src, dst = Path(work) / "input", Path(work) / "output"
        src.write_bytes(data)
        info = probe(src, limits)
        if info.seconds > max_seconds:
            raise TooLargeError("The video is too long for a synchronous request; use /v1/jobs.")
        redact_video(models, src, dst, opts, vopts, limits, progress)
        return (dst.read_bytes(), *output_type(info))
