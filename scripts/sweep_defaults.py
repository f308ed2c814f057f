"""Sweep detection threshold × dilation on a dev split; prints recall@0.8/0.95 and over-redaction.

This is the measurement behind the defaults in ``service/core/options.py`` (see docs/accuracy.md):
    .venv/bin/python scripts/sweep_defaults.py --dataset ../shared/data/plates_uc3m_lp_320 --cls plates
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np

from service.config import Settings
from service.core.masks import grow, paint
from service.core.options import Options
from service.core.pipeline import detect
from service.datasets import load_records, select
from service.evaluation.metrics import enlarge
from service.evaluation.runner import ground_truth
from service.media.images import decode


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--dataset", type=Path, required=True)
    p.add_argument("--part", default="test")
    p.add_argument("--cls", choices=["faces", "plates"], required=True)
    p.add_argument("--backend", default="unet")
    p.add_argument("--thresholds", default="0.3,0.4,0.5")
    p.add_argument("--dilations", default="0,4,8,12,16")
    p.add_argument("--limit", type=int, default=0)
    args = p.parse_args()
    settings = Settings()
    models = settings.load_models((args.backend,))
    records = select(load_records(args.dataset), args.part)[: args.limit or None]
    images = [decode(r.image.read_bytes(), 1 << 31).rgb for r in records]
    truths = [ground_truth(r, args.cls) for r in records]
    key = "face_threshold" if args.cls == "faces" else "plate_threshold"
    for thr in (float(t) for t in args.thresholds.split(",")):
        opts = replace(Options(backend=args.backend, classes=(args.cls,)), **{key: thr})
        found = [detect(models, rgb, opts) for rgb in images]
        for pct in (float(d) for d in args.dilations.split(",")):
            cov, outside, pixels = [], 0, 0
            for rgb, dets, (gts, sizes, _) in zip(images, found, truths, strict=True):
                h, w = rgb.shape[:2]
                final = paint([grow(d, 2, pct, w, h) for d in dets], (h, w))
                cov += [float((final & g).sum()) / max(1, g.sum()) for g in gts]
                outside += int((final & ~enlarge(gts, sizes, (h, w))).sum())
                pixels += h * w
            c = np.asarray(cov)
            print(f"{args.cls} {args.backend} thr={thr} dil={pct}% n={c.size} "
                  f"r@0.8={(c >= 0.8).mean():.4f} r@0.95={(c >= 0.95).mean():.4f} "
                  f"over={outside / pixels:.5f}", flush=True)


if __name__ == "__main__":
    main()
