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
from service.core.strides import EDGE_EVERY
from service.core.timing import StageTimer
from service.core.video_pipeline import VideoOptions, redact_video
from service.inference.registry import ModelSet
from service.media.video import VideoLimits, probe, transcode


def _passthrough(t, rgb, _extra):
    yield t, rgb


def bench_video(models: ModelSet, src: Path, backend: str, strides: list[int], deface: bool,
                second_look: bool = True, edge_every: int = EDGE_EVERY) -> dict:
    info = probe(src, VideoLimits())
    frames = info.frames
    rows = []
    with tempfile.TemporaryDirectory(prefix="veil-bench-") as work:
        out = Path(work) / f"out{src.suffix}"
        t0 = time.perf_counter()
        transcode(src, out, _passthrough, lambda: iter(()))
        ceiling = frames / (time.perf_counter() - t0)
        rows.append({"what": "ceiling (decode + encode, no model)", "fps": round(ceiling, 1)})
        for stride in strides:
            timer = StageTimer()
            t0 = time.perf_counter()
            redact_video(models, src, out, Options(backend=backend),
                         VideoOptions(stride=stride, second_look=second_look, edge_every=edge_every),
                         VideoLimits(), timer=timer)
            fps = frames / (time.perf_counter() - t0)
            # busy time per frame; decode and encode run in their own threads, overlapping the rest
            stages = {k: round(v * 1000 / frames, 2) for k, v in timer.seconds.items()}
            what = (f"veil {backend} stride {stride}" + ("" if second_look else ", no second look")
                    + ("" if edge_every else ", no edge bands"))
            rows.append({"what": what, "fps": round(fps, 1),
                         "vs_ceiling": round(fps / ceiling, 3), "stages_ms_per_frame": stages})
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
            **memory(models.runtime)}
