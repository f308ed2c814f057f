"""``veil bench video``: end-to-end fps against the decode+encode ceiling and against deface."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from service.bench.images import memory
from service.core.options import Options
from service.core.video_pipeline import VideoOptions, redact_video
from service.inference.registry import ModelSet
from service.media.video import VideoLimits, probe, transcode
from service.memory import peak_rss_mb, reset_peak_rss
from service.timing import StageTimer


def _passthrough(t, rgb, _extra):
    yield t, rgb


def ceiling_fps(src: Path, dst: Path, frames: int) -> float:
    """Decode + encode alone (no model): the most any redaction of ``src`` can reach."""
    t0 = time.perf_counter()
    transcode(src, dst, _passthrough, lambda: iter(()))
    return frames / (time.perf_counter() - t0)


def bench_video(models: ModelSet, src: Path, backend: str, profiles: dict[str, VideoOptions],
                deface: bool) -> dict:
    """fps of each named ``VideoOptions`` (a profile, possibly overridden) on ``src``, end to end."""
    info = probe(src, VideoLimits())
    frames = info.frames
    rows = []
    peaks = [peak_rss_mb()]  # loading the models
    with tempfile.TemporaryDirectory(prefix="veil-bench-") as work:
        out = Path(work) / f"out{src.suffix}"
        # the redaction runs first, each with its own peak RSS (the high-water mark is reset before
        # it), so the heap the ceiling pass leaves behind does not weigh on them
        for name, vopts in profiles.items():
            timer = StageTimer()
            own_peak = reset_peak_rss()
            t0 = time.perf_counter()
            redact_video(models, src, out, Options(backend=backend), vopts, VideoLimits(), timer=timer)
            fps = frames / (time.perf_counter() - t0)
            peaks.append(peak_rss_mb())
            # busy time per frame; decode and encode run in their own threads, overlapping the rest
            stages = {k: round(v * 1000 / frames, 2) for k, v in timer.seconds.items()}
            what = (f"veil {backend} {name} (stride {vopts.stride}"
                    + ("" if vopts.second_look else ", no second look")
                    + ("" if vopts.edge_every else ", no edge bands")
                    + ("" if vopts.small_face_work_size else ", no finer face pass") + ")")
            rows.append({"what": what, "fps": fps, "stages_ms_per_frame": stages,
                         **({"peak_rss_mb": peaks[-1]} if own_peak else {})})
        ceiling = ceiling_fps(src, out, frames)
        peaks.append(peak_rss_mb())
        for row in rows:
            row["vs_ceiling"] = round(row["fps"] / ceiling, 3)
            row["fps"] = round(row["fps"], 1)
        rows.insert(0, {"what": "ceiling (decode + encode, no model)", "fps": round(ceiling, 1)})
        exe = shutil.which("deface") or str(Path(sys.executable).with_name("deface"))
        if deface and Path(exe).exists():
            t0 = time.perf_counter()
            target = str(Path(work) / f"deface{src.suffix}")
            subprocess.run([exe, str(src), "-o", target], check=True,
                           capture_output=True)
            fps = frames / (time.perf_counter() - t0)
            rows.append({"what": "deface 1.5.0 (defaults)", "fps": round(fps, 1),
                         "vs_ceiling": round(fps / ceiling, 3)})
    return {"input": src.name, "size": f"{info.width}x{info.height}", "frames": frames,
            "seconds": round(info.seconds, 2), "rows": rows,
            **memory(models.compute), "peak_rss_mb": max(peaks)}
