"""``veil bench images``: per-stage and end-to-end latency, throughput and memory, with the ceiling."""

from __future__ import annotations

import os
import platform
import resource
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from service.core.options import Options
from service.core.still import redact_with_mask
from service.inference.devices import Compute
from service.inference.registry import ModelSet
from service.media.images import decode, encode
from service.timing import StageTimer

STAGES = ("decode", "detect", "segment", "postprocess", "redact", "encode")


def _pct(values: list[float]) -> dict[str, float]:
    ms = np.asarray(values) * 1000
    return {f"p{q}_ms": round(float(np.percentile(ms, q)), 1) for q in (50, 95)}


def cpu_name() -> str:
    """The processor's model name (/proc/cpuinfo on Linux; ``platform.processor()`` elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown cpu"


def machine_name() -> str:
    """The machine as every benchmark file names it: architecture, CPU count, processor model."""
    return f"{platform.machine()} {os.cpu_count()} CPUs ({cpu_name()})"


def header(compute: Compute) -> dict:
    import onnxruntime
    import torch

    gpu = torch.cuda.get_device_name() if compute.device == "cuda" else None
    return {
        "machine": machine_name(),
        "platform": platform.platform(), "device": compute.device, "gpu": gpu,
        "engine": compute.engine + (" int8" if compute.int8 else ""),
        "threads": compute.threads, "date": time.strftime("%Y-%m-%d"), "python": platform.python_version(),
        "torch": torch.__version__, "onnxruntime": onnxruntime.__version__,
    }


def memory(compute: Compute) -> dict[str, float | None]:
    """Peak RSS of this process and, on CUDA, peak GPU memory allocated by PyTorch (MB)."""
    gpu = None
    if compute.device == "cuda":
        import torch

        gpu = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return {"peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "peak_gpu_mb": gpu}


def bench_images(models: ModelSet, inputs: list[tuple[str, bytes]], opts: Options, runs: int,
                 max_pixels: int) -> dict:
    """Each input ``runs`` times after one warm-up; the ceiling is decode + encode of the same bytes."""
    rows = []
    pooled: dict[str, list[float]] = {"end_to_end": [], **{s: [] for s in STAGES}}
    for name, data in inputs:
        redact_with_mask(models, data, opts, max_pixels)
        stages: dict[str, list[float]] = {s: [] for s in STAGES}
        total, ceiling = [], []
        for _ in range(runs):
            timer = StageTimer()
            t0 = time.perf_counter()
            redact_with_mask(models, data, opts, max_pixels, timer)
            total.append(time.perf_counter() - t0)
            for s in STAGES:
                stages[s].append(timer.seconds.get(s, 0.0))
            t0 = time.perf_counter()
            d = decode(data, max_pixels)
            encode(d.rgb, d.format, opts.quality, d.alpha)
            ceiling.append(time.perf_counter() - t0)
        pooled["end_to_end"] += total
        for s in STAGES:
            pooled[s] += stages[s]
        h, w = decode(data, max_pixels).rgb.shape[:2]
        rows.append({
            "input": name, "size": f"{w}x{h}", "backend": opts.backend, "runs": runs,
            "end_to_end": _pct(total), "ceiling_decode_encode": _pct(ceiling),
            "throughput_per_s": round(runs / sum(total), 2),
            "stages": {s: _pct(v) for s, v in stages.items()},
        })
    # every run of every input together: the latency of a folder of real photos
    summary = {"inputs": len(rows), "backend": opts.backend, "end_to_end": _pct(pooled["end_to_end"]),
               "stages": {s: _pct(pooled[s]) for s in STAGES}} if rows else None
    return {"rows": rows, "pooled": summary, "small_face_work_size": opts.small_face_work_size,
            **memory(models.compute)}


SYNTHETIC_SIZES = ((1920, 1080), (1280, 720))


def load_inputs(target: Path | None, synthetic: bool,
                sizes: tuple[tuple[int, int], ...] = SYNTHETIC_SIZES) -> list[tuple[str, bytes]]:
    from service.bench.synthetic import synthetic_jpeg

    if synthetic or target is None:
        return [(f"synthetic-{w}x{h}.jpg", synthetic_jpeg(w, h)) for w, h in sizes]
    files = sorted(p for p in target.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp"}) \
        if target.is_dir() else [target]
    return [(p.name, p.read_bytes()) for p in files]


def run(models: ModelSet, inputs: list[tuple[str, bytes]], backends: list[str], runs: int,
        max_pixels: int, small_face_work_size: int | None = None) -> list[dict]:
    """One block per backend; ``small_face_work_size``: the photos' finer face pass (0: none; None: the
    pipeline's)."""
    opts = Options(small_face_work_size=small_face_work_size)
    return [bench_images(models, inputs, replace(opts, backend=b), runs, max_pixels) for b in backends]
