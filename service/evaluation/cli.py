"""``veil evaluate``: metrics of the final masks on any folder in the shared annotation schema."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from service.core.profiles import DEFAULT_PROFILE, PROFILES


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
    p.add_argument("--mosaic", type=int, default=0,
                   help="tile the images N x N into large photos (faces keep their pixels)")
    p.add_argument("--occlude", type=float, default=0.0,
                   help="cover this share of each plate from one side with the photo's own pixels; "
                        "the truth is what is left of it")
    p.add_argument("--every-class", action="store_true",
                   help="redact each image for faces and plates at once, as the service's default, and "
                        "score each class on that whole mask (the other class's false alarms count)")
    add_small_faces(p)
    add_ablation(p)
    p.set_defaults(func=_evaluate)


def add_small_faces(p) -> None:
    p.add_argument("--small-face-work-size", type=int,
                   help="long side of the finer face pass on photos larger than the face working size "
                        "(0: none, the ablation; default: the pipeline's)")


def add_ablation(p) -> None:
    """Flags that switch parts of the product off, to measure what each is worth."""
    p.add_argument("--no-plate-verifier", dest="plate_verifier", action="store_false",
                   help="plates: keep every proposal of the finder")
    p.add_argument("--no-face-verifier", dest="face_verifier", action="store_false",
                   help="faces: keep every face finder proposal the crop model confirms")
    p.add_argument("--no-int8", dest="int8", action="store_false", help="float models everywhere")
    p.add_argument("--no-face-finder", dest="face_finder", action="store_false",
                   help="faces: the face detector's proposals only")
    p.add_argument("--face-finder-work-size", type=int, help="the face finder's long side")


def ablation(args: argparse.Namespace):
    from service.config import Ablation

    return Ablation(int8=args.int8, face_finder=args.face_finder,
                    face_finder_work_size=args.face_finder_work_size, plate_verifier=args.plate_verifier,
                    face_verifier=args.face_verifier)


def _evaluate(args: argparse.Namespace) -> int:
    from service.config import Settings
    from service.core.options import Options
    from service.evaluation.runner import evaluate

    settings = Settings()
    models = settings.load_models((args.backend,), ablation(args))
    overrides = {k: v for k in ("dilation_pct", "dilation_px", "plate_threshold", "face_threshold",
                                "small_face_work_size") if (v := getattr(args, k)) is not None}
    opts = Options(backend=args.backend, **overrides)
    result = evaluate(models, args.dataset, args.part, opts, args.method, args.limit, args.mosaic,
                      args.occlude, args.every_class)
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
    add_small_faces(p)
    add_ablation(p)
    p.add_argument("--json", type=Path)
    p.set_defaults(func=_evaluate_negatives)


def _evaluate_negatives(args: argparse.Namespace) -> int:
    from service.config import Settings
    from service.core.options import Options
    from service.evaluation.negative_suite import negative_suite

    classes = tuple(args.classes.split(","))
    if not classes or set(classes) - {"plates", "faces"} or args.per_kind < 0 or args.limit < 0:
        raise SystemExit("--classes takes plates, faces or both; --per-kind and --limit 0 or more")
    models = Settings().load_models((args.backend,), ablation(args))
    overrides = {k: v for k in ("plate_threshold", "face_threshold", "small_face_work_size")
                 if (v := getattr(args, k)) is not None}
    result = negative_suite(models, Options(backend=args.backend, **overrides),
                            args.data if args.data.is_dir() else None, args.per_kind, args.limit, classes)
    return _emit(result, args.json)


def add_evaluate_verifier(sub) -> None:
    p = sub.add_parser("evaluate-verifier",
                       help="a verifier's threshold trade-off: held-out plates (faces), scenes without them")
    p.add_argument("--data", type=Path, default=Path("../shared/data"))
    p.add_argument("--class", dest="cls", choices=("plates", "faces"), default="plates",
                   help="the plate verifier, or the face verifier (faces only unsure proposals cover)")
    p.add_argument("--backend", default="unet")
    p.add_argument("--per-kind", type=int, default=15, help="rendered plate-free scenes per kind")
    p.add_argument("--plate-threshold", type=float, default=0.3, help="the finder's threshold")
    p.add_argument("--json", type=Path)
    p.set_defaults(func=_evaluate_verifier)


def _evaluate_verifier(args: argparse.Namespace) -> int:
    from service.config import Settings
    from service.datasets import load_records, select
    from service.evaluation.verifier_threshold import (
        choice_scenes,
        face_choice_scenes,
        face_negative_scores,
        face_scores,
        held_out_plates,
        negative_scores,
        plate_scores,
        trade_off,
    )

    models = Settings().load_models((args.backend,))
    if args.cls == "faces":
        records = [r for r in select(load_records(args.data / "faces_fmd_train"), "dev") if r.faces]
        positives = face_scores(models, records)
        negatives = face_negative_scores(models, face_choice_scenes(args.per_kind))
        return _emit({"class": "faces", "faces_only_unsure_proposals_cover": len(positives),
                      "faces_found": int(sum(s >= 0 for s in positives)), "negative_images": len(negatives),
                      "served_threshold": models.face_verifier.threshold,
                      "trade_off": trade_off(positives, negatives, "faces")}, args.json)
    positives = plate_scores(models, args.backend, held_out_plates(args.data), args.plate_threshold)
    negatives = negative_scores(models, args.backend, choice_scenes(args.data, args.per_kind),
                                args.plate_threshold)
    result = {"backend": args.backend, "plate_threshold": args.plate_threshold,
              "plates": len(positives), "plates_found": int(sum(s >= 0 for s in positives)),
              "negative_images": len(negatives),
              "served_threshold": models.plate_verifier.threshold,
              "trade_off": trade_off(positives, negatives)}
    return _emit(result, args.json)


def add_evaluate_prompts(sub) -> None:
    p = sub.add_parser("evaluate-prompts",
                       help="masks from loose prompt boxes (faces, plates) against ground truth, at 1080p")
    p.add_argument("--data", type=Path, default=Path("../shared/data"))
    p.add_argument("--backend", default="unet")
    p.add_argument("--limit", type=int, default=100, help="objects per class")
    p.add_argument("--json", type=Path)
    p.set_defaults(func=_evaluate_prompts)


def _evaluate_prompts(args: argparse.Namespace) -> int:
    from service.config import Settings
    from service.evaluation.prompt_masks import evaluate_prompts

    models = Settings().load_models((args.backend,))
    return _emit(evaluate_prompts(models, args.data, args.backend, args.limit), args.json)


def add_evaluate_video(sub) -> None:
    p = sub.add_parser("evaluate-video", help="leaks, background changed and fps of the video pipeline")
    p.add_argument("--suite", choices=("stills", "scenes"), default="stills",
                   help="stills: clips moved over one annotated still, in memory; scenes: composed "
                        "720p scenes written as MP4 and redacted end to end (fps measured)")
    p.add_argument("--data", type=Path, default=Path("../shared/data"))
    p.add_argument("--clips", type=int, default=24, help="clips per class (stills) or per kind (scenes)")
    p.add_argument("--motions", default=None,
                   help="comma-separated motions the clips cycle through (default: all of them)")
    p.add_argument("--kinds", default=None, help="scenes: comma-separated kinds (default: street, road, "
                   "crowd, text; traffic, whose objects move by themselves, only when named)")
    p.add_argument("--skip", type=int, default=0,
                   help="skip the first N annotated stills per class: a held-out suite (e.g. --skip 24)")
    p.add_argument("--frames", type=int, default=0, help="frames per clip (default: 30 stills, 60 scenes)")
    p.add_argument("--backend", default="unet")
    p.add_argument("--profile", choices=sorted(PROFILES), default=DEFAULT_PROFILE,
                   help="the video profile; the options below override its parameters")
    p.add_argument("--stride", type=int)
    p.add_argument("--window", type=int)
    p.add_argument("--hold", type=int)
    p.add_argument("--face-work-size", type=int)
    p.add_argument("--small-face-work-size", type=int,
                   help="long side of the finer face pass for faces under 24 px (0: none, the ablation)")
    p.add_argument("--plate-work-size", type=int)
    p.add_argument("--no-baseline", dest="baseline", action="store_false",
                   help="stills: skip the per-frame baseline (it does not depend on the profile)")
    p.add_argument("--no-camera-motion", dest="camera", action="store_false",
                   help="stills: propagate without camera-motion compensation (the ablation)")
    p.add_argument("--no-follow", dest="follow", action="store_false",
                   help="do not follow objects between detections (the ablation)")
    p.add_argument("--no-follow-back", dest="follow_back", action="store_false",
                   help="do not follow a new track back into the frames before its first sighting "
                        "(the ablation)")
    p.add_argument("--hold-strides", type=int, help="least hold after a track's last sighting, in "
                   "detection strides (default: the pipeline's)")
    p.add_argument("--lookahead-strides", type=int, help="least look-ahead before a frame is final, "
                   "in detection strides (default: the pipeline's)")
    p.add_argument("--edge-every", type=int,
                   help="between detected frames, search the side bands for faces every N-th frame "
                        "(0: never, the ablation)")
    p.add_argument("--no-second-look", dest="second_look", action="store_false", default=None,
                   help="no zoomed second look where a track's object was missed (the ablation)")
    p.add_argument("--growth", type=float, help="least growth of propagated masks per frame not "
                   "followed, as a share of the object's size, per frame of stride")
    p.add_argument("--follow-growth", type=float, help="least growth per followed frame, as a share "
                   "of the object's size")
    p.add_argument("--edge-hold", type=int, help="hold after a sighting the frame's edge cuts, in "
                   "holds (1: as any other; default: the pipeline's)")
    p.add_argument("--seen-plate-floor", type=float, help="least verifier score at which a plate it "
                   "turns down still extends a plate track already painted (default: the pipeline's)")
    p.add_argument("--no-seen-plates", dest="seen_plates", action="store_false",
                   help="plates the verifier turns down extend no track (the ablation)")
    p.add_argument("--classes", default="plates,faces", help="stills: comma-separated classes")
    p.add_argument("--compare-deface", dest="deface", action="store_true",
                   help="also score deface (its detector and masks, per frame) on the face clips")
    p.add_argument("--mode", default="fill", help="redaction mode (the scenes' fps includes it)")
    p.add_argument("--json", type=Path)
    p.set_defaults(func=_evaluate_video)


def video_options(args: argparse.Namespace):
    """The profile's ``VideoOptions`` with the flags given on top."""
    names = ("stride", "window", "hold", "face_work_size", "small_face_work_size", "plate_work_size",
             "hold_strides", "lookahead_strides", "edge_every", "second_look", "growth", "follow_growth",
             "edge_hold", "seen_plate_floor")
    vopts = PROFILES[args.profile].video_options(follow=args.follow, follow_back=args.follow_back,
                                                 **{k: getattr(args, k) for k in names})
    return vopts if args.seen_plates else replace(vopts, seen_plate_floor=None)


def _evaluate_video(args: argparse.Namespace) -> int:
    from service.evaluation.video_leaks import MOTIONS
    from service.evaluation.video_scenes import ALL_KINDS, KINDS, SCENE_MOTIONS

    known = SCENE_MOTIONS if args.suite == "scenes" else MOTIONS
    motions = tuple(args.motions.split(",")) if args.motions else known
    if unknown := set(motions) - set(known):
        raise SystemExit(f"unknown motions {sorted(unknown)}; known: {', '.join(known)}")
    kinds = tuple(args.kinds.split(",")) if args.kinds else KINDS
    if unknown := set(kinds) - set(ALL_KINDS):
        raise SystemExit(f"unknown kinds {sorted(unknown)}; known: {', '.join(ALL_KINDS)}")
    if (args.skip < 0 or (args.edge_every or 0) < 0 or args.clips < 1 or args.frames < 0
            or (args.edge_hold is not None and args.edge_hold < 1) or (args.stride or 1) < 1):
        raise SystemExit("--skip, --frames and --edge-every must be 0 or more, --clips, --stride and "
                         "--edge-hold 1 or more")
    classes = tuple(args.classes.split(","))
    if not classes or set(classes) - {"plates", "faces"}:
        raise SystemExit("--classes takes plates, faces or both")
    vopts = video_options(args)
    if args.suite == "scenes":
        return _evaluate_scenes(args, vopts, motions, kinds)
    return _evaluate_stills(args, vopts, motions, classes)


def _settings_of(vopts) -> dict:
    return {k: v for k, v in vopts.__dict__.items() if k not in ("codec", "crf", "keep_audio")}


def _evaluate_stills(args: argparse.Namespace, vopts, motions: tuple[str, ...], classes: tuple[str, ...]
                     ) -> int:
    from service.config import Settings
    from service.core.options import Options
    from service.datasets import load_records, select
    from service.evaluation.deface_baseline import deface_leak_rates
    from service.evaluation.video_leaks import leak_rates, suite
    from service.media.images import decode

    models = Settings().load_models((args.backend,))
    parts = {"plates": ("plates_uc3m_lp_320", "test"), "faces": ("faces_fmd_train", "dev")}
    sources = {cls: select(load_records(args.data / parts[cls][0]), parts[cls][1]) for cls in classes}
    clips = [(decode(r.image.read_bytes(), 1 << 31).rgb, r, cls, spec)
             for r, cls, spec in suite(sources, args.clips, motions, args.frames or 30, args.skip)]
    opts = Options(backend=args.backend, mode=args.mode)
    result = {
        "suite": "stills", "clips": len(clips), "skip": args.skip, "frames_per_clip": args.frames or 30,
        "motions": list(motions), "backend": args.backend, "profile": args.profile,
        "propagation": {**_settings_of(vopts), "camera_motion": args.camera,
                        **leak_rates(models, clips, opts, vopts, args.camera)},
        "per_frame_baseline": leak_rates(models, clips, opts, None) if args.baseline else None,
        "deface": deface_leak_rates(clips) if args.deface else None,
    }
    return _emit(result, args.json)


def _evaluate_scenes(args: argparse.Namespace, vopts, motions: tuple[str, ...], kinds: tuple[str, ...]
                     ) -> int:
    from service.config import Settings
    from service.core.options import Options
    from service.datasets import load_records, select
    from service.evaluation.video_end_to_end import scene_rates
    from service.evaluation.video_scenes import scenes
    from service.media.images import decode

    models = Settings().load_models((args.backend,))
    road = select(load_records(args.data / "plates_openalpr"), "dev")
    crowd = select(load_records(args.data / "faces_fmd_train"), "dev")
    chosen = scenes(road, crowd, args.clips, motions, args.frames or 60, kinds, args.skip)
    result = {
        "suite": "scenes", "clips": len(chosen), "skip": args.skip, "frames_per_clip": args.frames or 60,
        "size": "1280x720", "motions": list(motions), "kinds": list(kinds), "backend": args.backend,
        "profile": args.profile, "mode": args.mode, "settings": _settings_of(vopts),
        **scene_rates(models, chosen, Options(backend=args.backend, mode=args.mode), vopts,
                      lambda r: decode(r.image.read_bytes(), 1 << 31).rgb, deface=args.deface),
    }
    return _emit(result, args.json)
