"""``veil evaluate``: metrics of the final masks on any folder in the shared annotation schema."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from service.core.strides import EDGE_EVERY


def _emit(result: dict, path: Path | None) -> int:
    """Print an evaluation's JSON and, when asked, write it to ``path``."""
    text = json.dumps(result, indent=2)
    print(text)
    if path:
        path.write_text(text + "\n", encoding="utf-8")
    return 0


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
    p.add_argument("--no-plate-verifier", dest="plate_verifier", action="store_false",
                   help="plates: keep every proposal of the finder (the ablation)")
    p.set_defaults(func=_evaluate)


def _evaluate(args: argparse.Namespace) -> int:
    from service.config import Settings
    from service.core.options import Options
    from service.evaluation.runner import evaluate

    settings = Settings()
    models = settings.load_models((args.backend,), args.plate_verifier)
    overrides = {k: v for k in ("dilation_pct", "dilation_px", "plate_threshold", "face_threshold")
                 if (v := getattr(args, k)) is not None}
    opts = Options(backend=args.backend, **overrides)
    result = evaluate(models, args.dataset, args.part, opts, args.method, args.limit)
    return _emit(result, args.json)


def add_evaluate_negatives(sub) -> None:
    p = sub.add_parser("evaluate-negatives",
                       help="over-redaction on images without the class: documents, screens, photos")
    p.add_argument("--data", type=Path, default=Path("../shared/data"),
                   help="root of the annotated sets (their held-out parts join the suite if present)")
    p.add_argument("--per-kind", type=int, default=25, help="rendered images per rendered kind")
    p.add_argument("--limit", type=int, default=0, help="at most this many images per real set (0: all)")
    p.add_argument("--backend", default="unet")
    p.add_argument("--classes", default="plates,faces")
    p.add_argument("--plate-threshold", type=float)
    p.add_argument("--face-threshold", type=float)
    p.add_argument("--no-plate-verifier", dest="plate_verifier", action="store_false",
                   help="plates: keep every proposal of the finder (the ablation)")
    p.add_argument("--json", type=Path)
    p.set_defaults(func=_evaluate_negatives)


def _evaluate_negatives(args: argparse.Namespace) -> int:
    from service.config import Settings
    from service.core.options import Options
    from service.evaluation.negative_suite import negative_suite

    classes = tuple(args.classes.split(","))
    if not classes or set(classes) - {"plates", "faces"} or args.per_kind < 0 or args.limit < 0:
        raise SystemExit("--classes takes plates, faces or both; --per-kind and --limit 0 or more")
    models = Settings().load_models((args.backend,), args.plate_verifier)
    overrides = {k: v for k in ("plate_threshold", "face_threshold") if (v := getattr(args, k)) is not None}
    result = negative_suite(models, Options(backend=args.backend, **overrides),
                            args.data if args.data.is_dir() else None, args.per_kind, args.limit, classes)
    return _emit(result, args.json)


def add_evaluate_verifier(sub) -> None:
    p = sub.add_parser("evaluate-verifier",
                       help="the plate verifier's threshold trade-off: held-out plates, plate-free scenes")
    p.add_argument("--data", type=Path, default=Path("../shared/data"))
    p.add_argument("--backend", default="unet")
    p.add_argument("--per-kind", type=int, default=15, help="rendered plate-free scenes per kind")
    p.add_argument("--plate-threshold", type=float, default=0.3, help="the finder's threshold")
    p.add_argument("--json", type=Path)
    p.set_defaults(func=_evaluate_verifier)


def _evaluate_verifier(args: argparse.Namespace) -> int:
    from service.config import Settings
    from service.evaluation.verifier_threshold import (
        choice_scenes,
        held_out_plates,
        negative_scores,
        plate_scores,
        trade_off,
    )

    models = Settings().load_models((args.backend,))
    positives = plate_scores(models, args.backend, held_out_plates(args.data), args.plate_threshold)
    negatives = negative_scores(models, args.backend, choice_scenes(args.data, args.per_kind),
                                args.plate_threshold)
    result = {"backend": args.backend, "plate_threshold": args.plate_threshold,
              "plates": len(positives), "plates_found": int(sum(s >= 0 for s in positives)),
              "negative_images": len(negatives), "served_threshold": models.plate_verifier.threshold,
              "trade_off": trade_off(positives, negatives)}
    return _emit(result, args.json)


def add_evaluate_video(sub) -> None:
    p = sub.add_parser("evaluate-video", help="leak rate on clips generated from annotated stills")
    p.add_argument("--data", type=Path, default=Path("../shared/data"))
    p.add_argument("--clips", type=int, default=24, help="clips per class (motions cycle)")
    p.add_argument("--motions", default=None,
                   help="comma-separated motions the clips cycle through (default: all of them)")
    p.add_argument("--skip", type=int, default=0,
                   help="skip the first N annotated stills per class: a held-out suite (e.g. --skip 24)")
    p.add_argument("--frames", type=int, default=30)
    p.add_argument("--backend", default="unet")
    p.add_argument("--stride", type=int, default=1)
    p.add_argument("--window", type=int, default=6)
    p.add_argument("--hold", type=int, default=6)
    p.add_argument("--no-baseline", dest="baseline", action="store_false",
                   help="skip the per-frame baseline (it does not depend on stride, window or hold)")
    p.add_argument("--no-camera-motion", dest="camera", action="store_false",
                   help="propagate without camera-motion compensation (the ablation)")
    p.add_argument("--hold-strides", type=int, help="least hold after a track's last sighting, in "
                   "detection strides (default: the pipeline's)")
    p.add_argument("--lookahead-strides", type=int, help="least look-ahead before a frame is final, "
                   "in detection strides (default: the pipeline's)")
    p.add_argument("--edge-every", type=int, default=EDGE_EVERY,
                   help="between detected frames, search the side bands for faces every N-th frame "
                        "(0: never, the ablation)")
    p.add_argument("--no-second-look", dest="second_look", action="store_false",
                   help="no zoomed second look where a track's object was missed (the ablation)")
    p.add_argument("--growth", type=float, help="least growth of propagated masks per frame, as a "
                   "share of the object's size, per frame of stride (default: the pipeline's)")
    p.add_argument("--edge-hold", type=int, help="hold after a sighting the frame's edge cuts, in "
                   "holds (1: as any other; default: the pipeline's)")
    p.add_argument("--classes", default="plates,faces", help="comma-separated classes the suite takes")
    p.add_argument("--compare-deface", dest="deface", action="store_true",
                   help="also score deface (its detector and masks, per frame) on the face clips")
    p.add_argument("--json", type=Path)
    p.set_defaults(func=_evaluate_video)


def _evaluate_video(args: argparse.Namespace) -> int:
    from service.config import Settings
    from service.core.options import Options
    from service.core.strides import EDGE_HOLD, HOLD_STRIDES, LOOKAHEAD_STRIDES, MIN_SPEED_PER_STRIDE
    from service.datasets import load_records, select
    from service.evaluation.deface_baseline import deface_leak_rates
    from service.evaluation.video_leaks import MOTIONS, leak_rates, suite
    from service.media.images import decode

    motions = tuple(args.motions.split(",")) if args.motions else MOTIONS
    if unknown := set(motions) - set(MOTIONS):
        raise SystemExit(f"unknown motions {sorted(unknown)}; known: {', '.join(MOTIONS)}")
    if (args.skip < 0 or args.edge_every < 0 or args.clips < 1
            or (args.edge_hold is not None and args.edge_hold < 1)):
        raise SystemExit("--skip and --edge-every must be 0 or more, --clips and --edge-hold 1 or more")
    classes = tuple(args.classes.split(","))
    if not classes or set(classes) - {"plates", "faces"}:
        raise SystemExit("--classes takes plates, faces or both")
    settings = Settings()
    models = settings.load_models((args.backend,))
    parts = {"plates": ("plates_uc3m_lp_320", "test"), "faces": ("faces_fmd_train", "dev")}
    sources = {cls: select(load_records(args.data / parts[cls][0]), parts[cls][1]) for cls in classes}
    clips = [(decode(r.image.read_bytes(), 1 << 31).rgb, r, cls, spec)
             for r, cls, spec in suite(sources, args.clips, motions, args.frames, args.skip)]
    opts = Options(backend=args.backend)
    defaults = {"growth": MIN_SPEED_PER_STRIDE, "hold_strides": HOLD_STRIDES,
                "lookahead_strides": LOOKAHEAD_STRIDES, "edge_hold": EDGE_HOLD}
    tuning = {k: d if getattr(args, k) is None else getattr(args, k) for k, d in defaults.items()}
    result = {
        "clips": len(clips), "skip": args.skip, "frames_per_clip": args.frames, "motions": list(motions),
        "backend": args.backend,
        "propagation": {"stride": args.stride, "window": args.window, "hold": args.hold, **tuning,
                        "camera_motion": args.camera, "second_look": args.second_look,
                        "edge_every": args.edge_every,
                        **leak_rates(models, clips, opts, args.window, args.hold, args.stride,
                                     args.camera, args.second_look, args.edge_every, **tuning)},
        "per_frame_baseline": leak_rates(models, clips, opts, 0, 0, 1) if args.baseline else None,
        "deface": deface_leak_rates(clips) if args.deface else None,
    }
    return _emit(result, args.json)
