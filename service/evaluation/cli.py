"""``veil evaluate``: metrics of the final masks on any folder in the shared annotation schema."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="measure redaction quality on a dataset folder")
    p.add_argument("--dataset", type=Path, required=True)
    p.add_argument("--part", default="test", help="train|test|dev|all (dev = hash hold-out)")
    p.add_argument("--backend", default="unet")
    p.add_argument("--method", default="veil", help="veil | baseline")
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--json", type=Path)
    p.add_argument("--dilation-pct", type=float)
    p.add_argument("--dilation-px", type=int)
    p.add_argument("--plate-threshold", type=float)
    p.add_argument("--face-threshold", type=float)
    p.set_defaults(func=_evaluate)


def _evaluate(args: argparse.Namespace) -> int:
    from service.config import Settings
    from service.core.options import Options
    from service.evaluation.runner import evaluate
    from service.inference.registry import load_models

    settings = Settings()
    models = load_models(settings.models_dir, (args.backend,), settings.engine, settings.threads,
                         settings.face_work_size)
    overrides = {k: v for k in ("dilation_pct", "dilation_px", "plate_threshold", "face_threshold")
                 if (v := getattr(args, k)) is not None}
    opts = Options(backend=args.backend, **overrides)
    result = evaluate(models, args.dataset, args.part, opts, args.method, args.limit)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0
