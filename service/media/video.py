"""Video in and out with PyAV: allowlisted containers and codecs, header limits, streaming transcode.

Frames stream through a caller's function one at a time (its own buffer is bounded); audio packets
are copied bit for bit; video timestamps are kept frame for frame (VFR included); subtitles, data
streams, attachments and container metadata are not written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from service.errors import TooLargeError, UndecodableError, UnsupportedMediaError
from service.media.buffers import FramePool
from service.media.stages import Consumer, Producer
from service.timing import NO_TIMER, StageTimer

# demuxer name (as FFmpeg reports it) -> output muxer
CONTAINERS = {
    "mov,mp4,m4a,3gp,3g2,mj2": "mp4",
    "matroska,webm": "matroska",
    "avi": "avi",
}
FORMAT_WHITELIST = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi"
# output muxer -> (media type, extension)
OUTPUT_TYPES = {"mp4": ("video/mp4", "mp4"), "matroska": ("video/x-matroska", "mkv"),
                "avi": ("video/x-msvideo", "avi")}
VIDEO_CODECS = {"h264", "hevc", "vp8", "vp9", "av1", "mpeg4"}
# decoder name (as PyAV reports the stream's codec) -> codec, where an external library decodes it
DECODER_CODECS = {"libdav1d": "av1", "libvpx": "vp8", "libvpx-vp9": "vp9"}
# output codec -> (FFmpeg encoder, its options besides crf); fast presets: this runs on CPUs
OUTPUT_CODECS = {
    "h264": ("libx264", {"preset": "veryfast"}),
    "vp9": ("libvpx-vp9", {"b": "0", "deadline": "realtime", "cpu-used": "8", "row-mt": "1"}),
    "av1": ("libsvtav1", {"preset": "10"}),
}


@dataclass(frozen=True)
class VideoLimits:
    max_seconds: float = 3600.0
    max_pixels: int = 3840 * 2160
    max_frames: int = 30 * 3600 * 2
    max_streams: int = 8


@dataclass(frozen=True)
class VideoInfo:
    container: str
    codec: str
    width: int
    height: int
    frames: int
    seconds: float
    rate: Fraction | None
    audio_streams: int
    rotation: int = 0  # display rotation, degrees counter-clockwise (multiple of 90)

    @property
    def display_size(self) -> tuple[int, int]:
        """(width, height) as shown, i.e. after the display rotation: what the models see."""
        return (self.height, self.width) if self.rotation % 180 else (self.width, self.height)


def _open(path: Path):
    try:
        options = {"format_whitelist": FORMAT_WHITELIST, "protocol_whitelist": "file"}
        return av.open(str(path), options=options)
    except (av.error.InvalidDataError, av.error.ArgumentError) as exc:  # not a whitelisted demuxer
        raise UnsupportedMediaError() from exc
    except av.FFmpegError as exc:
        raise UndecodableError() from exc


def probe(path: Path, limits: VideoLimits) -> VideoInfo:
    """Header checks before any frame is decoded; raises 415/413/422-class errors."""
    with _open(path) as c:
        if c.format.name not in CONTAINERS:
            raise UnsupportedMediaError("Allowed containers: MP4/MOV, MKV/WebM, AVI.")
        if not c.streams.video:
            raise UndecodableError("The file has no video stream.")
        if len(c.streams) > limits.max_streams:
            raise TooLargeError(f"The file has more than {limits.max_streams} streams.")
        v = c.streams.video[0]
        codec = DECODER_CODECS.get(v.codec_context.name, v.codec_context.name)
        if codec not in VIDEO_CODECS:
            raise UnsupportedMediaError("Allowed video codecs: H.264, HEVC, VP8, VP9, AV1, MPEG-4.")
        seconds = float(c.duration / av.time_base) if c.duration else 0.0
        if v.width * v.height > limits.max_pixels:
            raise TooLargeError(f"The video's frames have more pixels than the limit of "
                                f"{limits.max_pixels:,} (VEIL_MAX_VIDEO_PIXELS).")
        if seconds > limits.max_seconds:
            raise TooLargeError(f"The video is longer than the limit of {limits.max_seconds:g} s "
                                "(VEIL_MAX_VIDEO_SECONDS).")
        if v.frames and v.frames > limits.max_frames:
            raise TooLargeError(f"The video has more than {limits.max_frames:,} frames.")
        try:
            first = next(c.decode(v))
        except (StopIteration, av.FFmpegError) as exc:
            raise UndecodableError() from exc
        rotation = int(round((first.rotation or 0) / 90)) * 90 % 360
        return VideoInfo(c.format.name, codec, v.width, v.height, int(v.frames), seconds,
                         v.average_rate, len(c.streams.audio), rotation)


def _tagged_duration(stream) -> float | None:
    """A stream's ``DURATION`` tag (Matroska writes one per track, HH:MM:SS.fraction), in seconds."""
    text = (stream.metadata or {}).get("DURATION", "")
    try:
        h, m, sec = text.split(":")
        return int(h) * 3600 + int(m) * 60 + float(sec)
    except ValueError:
        return None


def _ended_early(inp, iv, frames: int, last_time: float) -> bool:
    """A partial decode: fewer frames than the header declares, or a video that stops short of the
    declared duration: the video stream's own (header or tag), with a slack of a tenth of it (at least
    two frames, at most 0.25 s), else the container's (which may include longer audio), with 1 s."""
    if iv.frames:
        return frames < iv.frames
    stream_seconds = float(iv.duration * iv.time_base) if iv.duration and iv.time_base else None
    stream_seconds = stream_seconds or _tagged_duration(iv)
    if stream_seconds:
        frame = 1.0 / float(iv.average_rate or 1)
        declared, slack = stream_seconds, min(0.25, max(0.1 * stream_seconds, 2 * frame))
    elif inp.duration:
        declared, slack = inp.duration / av.time_base, 1.0
    else:
        return frames == 0
    return last_time < declared - slack - (1.0 / float(iv.average_rate or 1))


Process = Callable[[int, np.ndarray, object], Iterator[tuple[int, np.ndarray]]]
"""(frame index, upright RGB frame, what ``prepare`` made of it) → finished (index, frame) pairs."""


def _timed(items: Iterator[tuple], timer: StageTimer, stage: str) -> Iterator[tuple]:
    """``items``, with the time spent producing each one counted as ``stage``."""
    while True:
        with timer.stage(stage):
            item = next(items, None)
        if item is None:
            return
        yield item


def _decoded(inp, iv, audio: list, turns: int) -> Iterator[tuple]:
    """Demux and decode (in the decode thread): ("audio", packet) or ("video", pts, time_base, rgb).
    Each ``rgb`` is a pooled buffer (``FramePool``), reused once the frame has been encoded."""
    pool = FramePool()
    try:
        for packet in inp.demux(iv, *audio):
            if packet.stream.type == "audio":
                if packet.dts is not None:
                    yield "audio", packet
                continue
            for frame in packet.decode():
                if frame.pts is None:
                    raise UndecodableError("A video frame has no timestamp.")
                rgb = frame.to_ndarray(format="rgb24")
                yield "video", frame.pts, frame.time_base, pool.copy(np.rot90(rgb, turns) if turns else rgb)
    except av.FFmpegError as exc:
        raise UndecodableError() from exc


def _prepared(items: Iterator[tuple], prepare: Callable[[np.ndarray], object] | None,
              timer: StageTimer) -> Iterator[tuple]:
    """Video items with ``prepare(rgb)`` appended (None without it), still in the decode thread."""
    for item in items:
        if item[0] != "video":
            yield item
            continue
        if prepare is None:
            yield (*item, None)
            continue
        with timer.stage("prepare"):
            extra = prepare(item[3])
        yield (*item, extra)


def transcode(src: Path, dst: Path, process: Process, flush: Callable[[], Iterator[tuple[int, np.ndarray]]],
              codec: str = "h264", crf: int = 20, keep_audio: bool = True,
              on_frame: Callable[[int], None] | None = None, rotation: int = 0,
              timer: StageTimer = NO_TIMER, prepare: Callable[[np.ndarray], object] | None = None) -> int:
    """Decode ``src``, pass each RGB frame to ``process`` (which yields finished frames, possibly
    later), encode them with the source's timestamps into ``dst``; returns frames written.

    Decode and encode run in their own threads beside ``process`` (bounded queues, see stages.py).
    ``prepare``, if given, runs on each frame in the decode thread (in frame order); its result is
    handed to ``process`` with the frame.
    ``process`` sees frames upright (display ``rotation`` applied); they are stored back unrotated
    with the same display rotation, so players show the output exactly as the input.

    Any decode error aborts with UndecodableError: a partial video is never produced as a success.
    ``timer`` gets the decode and encode threads' busy time (they overlap the rest).
    """
    written = 0
    with _open(src) as inp:
        info_container = CONTAINERS[inp.format.name]
        iv = inp.streams.video[0]
        iv.thread_type = "AUTO"
        audio = list(inp.streams.audio) if keep_audio else []
        with av.open(str(dst), "w", format=info_container) as out:
            encoder_name, encoder_options = OUTPUT_CODECS[codec]
            ov = out.add_stream(encoder_name, rate=iv.average_rate or iv.guessed_rate or 30)
            ov.width, ov.height, ov.pix_fmt = iv.width, iv.height, "yuv420p"
            # The encoder counts in the source's time base too: VFR timestamps are not rounded to 1/fps.
            ov.time_base = ov.codec_context.time_base = iv.time_base
            turns = rotation // 90 % 4
            if turns:
                ov.set_display_rotation(rotation)
            # AVI stores no presentation times: without B-frames, decode order is display order.
            no_reorder = {"bf": "0"} if info_container == "avi" else {}
            ov.options = {"crf": str(crf), **encoder_options, **no_reorder}
            oa = {a.index: out.add_stream_from_template(a) for a in audio}
            pts: dict[int, tuple[int, Fraction]] = {}

            def encode(item: tuple) -> None:
                with timer.stage("encode"):
                    _encode(item)

            def _encode(item: tuple) -> None:
                nonlocal written
                if item[0] == "audio":
                    packet = item[1]
                    packet.stream = oa[packet.stream.index]
                    out.mux(packet)
                    return
                _, idx, rgb = item
                stored = np.rot90(rgb, -turns) if turns else rgb
                if stored.strides[1:] != (3, 1):
                    stored = np.ascontiguousarray(stored)
                # wraps the array (no copy): the encoder converts it to its own YUV frame at once
                frame = av.VideoFrame.from_numpy_buffer(stored, format="rgb24")
                frame.pts, frame.time_base = pts.pop(idx)
                for packet in ov.encode(frame):
                    out.mux(packet)
                written += 1
                if on_frame:
                    on_frame(written)

            decoder = Producer(_prepared(_timed(_decoded(inp, iv, audio, turns), timer, "decode"),
                                         prepare, timer))
            encoder = Consumer(encode)
            try:
                index, last_time = 0, 0.0
                for item in decoder:
                    if item[0] == "audio":
                        encoder.put(item)
                        continue
                    _, frame_pts, time_base, rgb, extra = item
                    pts[index] = (frame_pts, time_base)
                    last_time = float(frame_pts * time_base)
                    for done in process(index, rgb, extra):
                        encoder.put(("video", *done))
                    index += 1
                if _ended_early(inp, iv, index, last_time):
                    raise UndecodableError("The video ended before its declared length.")
                for done in flush():
                    encoder.put(("video", *done))
                encoder.close()
            except BaseException:
                decoder.close()
                encoder.abort()
                raise
            for packet in ov.encode():
                out.mux(packet)
    return written
