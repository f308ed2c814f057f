"""Where a photo's time goes: each model of the photo path timed on its own, in turn, per photo.

Usage: VEIL_THREADS=2 python scripts/photo_model_times.py /tmp/photos-720p [--runs 3] [--json F]
Loads the served models (``Settings``, U-Net backend) and times, per photo, the median of ``--runs``
calls of: CenterFace at the face working size and at the photo's finer-pass size, the face finder,
the face crop model on the photo's proposals, the plate finder, the plate verifier and the plate shape
model on what it keeps. Medians over the photos are printed (ms) and written with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import date
from pathlib import Path

from service.bench.images import machine_name
from service.config import Settings
from service.core.options import Options
from service.core.pipeline import CONFIRM_FACTOR, face_proposals, for_photo
from service.media.images import decode


def _median_ms(call, runs: int):
    out = call()  # warm
    took = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = call()
        took.append((time.perf_counter() - t0) * 1000)
    return statistics.median(took), out


def _photo_times(models, rgb, runs: int) -> dict[str, float]:
    """Per model of the photo path, its median time on ``rgb`` (ms)."""
    backend, opts = models.backends["unet"], Options()
    photo = for_photo(models, rgb.shape, opts)
    low = opts.face_threshold * CONFIRM_FACTOR
    times = {}
    times["centerface (working size)"], boxes = _median_ms(
        lambda: models.face_detector.detect_many([rgb], low, models.face_work_size), runs)
    if photo.small_face_work_size:
        times["centerface (finer pass)"], _ = _median_ms(
            lambda: models.face_detector.detect_many([rgb], low, photo.small_face_work_size), runs)
    if models.face_finder is not None:
        times["face finder"], _ = _median_ms(
            lambda: models.face_finder.proposals([rgb], boxes, models.face_finder_work_size), runs)
    (rows, unsure, hints), = face_proposals(models, [rgb], low, 0.0, None, opts.face_threshold,
                                            photo.small_face_work_size)
    times["face crop model"], _ = _median_ms(
        lambda: backend.faces.refine(rgb, rows, confirm_below=opts.face_threshold, unsure=unsure,
                                     hints=hints), runs)
    times["plate finder"], (plates,) = _median_ms(
        lambda: backend.plates.find_many([rgb], opts.plate_threshold, models.plate_work_size), runs)
    kept = plates
    if models.plate_verifier is not None:
        times["plate verifier"], kept = _median_ms(lambda: models.plate_verifier.keep(rgb, plates), runs)
    times["plate shape model"], _ = _median_ms(lambda: backend.plate_shapes.refine(rgb, kept), runs)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    settings = Settings()
    models = settings.load_models(("unet",))
    rows: dict[str, list[float]] = {}
    for path in sorted(p for p in args.folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png")):
        rgb = decode(path.read_bytes(), settings.max_pixels).rgb
        for k, v in _photo_times(models, rgb, args.runs).items():
            rows.setdefault(k, []).append(v)
    result = {"date": date.today().isoformat(),
              "machine": machine_name(),
              "folder": str(args.folder), "photos": len(next(iter(rows.values()), [])),
              "threads": settings.threads, "precisions": models.precisions(),
              "median_ms": {k: round(statistics.median(v), 1) for k, v in rows.items()},
              "max_ms": {k: round(max(v), 1) for k, v in rows.items()}}
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
