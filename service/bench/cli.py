"""``veil bench``: the project's measuring stick (numbers go to docs/benchmarks.md, not to tests)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_bench(sub) -> None:
    p = sub.add_parser("bench", help="measure speed and memory")
    kind = p.add_subparsers(dest="kind", required=True)
    img = kind.add_parser("images", help="still-image pipeline")
    img.add_argument("target", nargs="?", type=Path, help="an image or a directory of images")
    img.add_argument("--synthetic", action="store_true", help="generated 1080p and 720p frames (seed 0)")
    img.add_argument("--backend", action="append", choices=["unet", "deeplabv3plus"])
    img.add_argument("--runs", type=int, default=20)
    img.add_argument("--json", type=Path)
    img.set_defaults(func=_bench_images)
    vid = kind.add_parser("video", help="video pipeline fps vs the decode+encode ceiling (and deface)")
    vid.add_argument("target", nargs="?", type=Path, help="a video file")
    vid.add_argument("--synthetic", action="store_true", help="generated 1280x720 30 fps clip (seed 0)")
    vid.add_argument("--seconds", type=float, default=10.0, help="length of the synthetic clip")
    vid.add_argument("--backend", default="unet", choices=["unet", "deeplabv3plus"])
    vid.add_argument("--stride", type=int, action="append", help="detection strides to measure")
    vid.add_argument("--compare", choices=["deface"], action="append", default=[])
    vid.add_argument("--json", type=Path)
    vid.set_defaults(func=_bench_video)


def _bench_images(args: argparse.Namespace) -> int:
    from service.bench.images import header, run
    from service.config import Settings

    settings = Settings()
    backends = args.backend or ["unet", "deeplabv3plus"]
    models = settings.load_models(tuple(backends))
    result = {"header": header(settings.engine, settings.threads),
              "results": run(models, args.target, args.synthetic, backends, args.runs, settings.max_pixels)}
    for block in result["results"]:
        for row in block["rows"]:
            stages = " ".join(f"{k}={v['p50_ms']}" for k, v in row["stages"].items())
            print(f"{row['backend']:>13} {row['input']:<26} p50={row['end_to_end']['p50_ms']} ms "
                  f"p95={row['end_to_end']['p95_ms']} ms ceiling={row['ceiling_decode_encode']['p50_ms']} ms "
                  f"| {stages}")
        print(f"peak RSS {block['peak_rss_mb']} MB")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


def _bench_video(args: argparse.Namespace) -> int:
    import tempfile

    from service.bench.images import header
    from service.bench.synthetic import synthetic_clip
    from service.bench.video import bench_video
    from service.config import Settings

    settings = Settings()
    models = settings.load_models((args.backend,))
    with tempfile.TemporaryDirectory(prefix="veil-bench-") as work:
        src = args.target or synthetic_clip(Path(work) / "synthetic-720p.mp4", seconds=args.seconds)
        video = bench_video(models, src, args.backend, args.stride or [1, 3], "deface" in args.compare)
        result = {"header": header(settings.engine, settings.threads), "video": video}
    v = result["video"]
    print(f"{v['input']} {v['size']} {v['frames']} frames ({v['seconds']} s), peak RSS {v['peak_rss_mb']} MB")
    for row in v["rows"]:
        print(f"  {row['what']:<40} {row['fps']:>7} fps  {row.get('vs_ceiling', '')}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0
