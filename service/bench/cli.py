"""``veil bench``: the project's measuring stick (numbers go to docs/performance.md, not to tests)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from service.core.profiles import PROFILES
from service.evaluation.cli import add_small_faces


def add_bench(sub) -> None:
    p = sub.add_parser("bench", help="measure speed and memory")
    kind = p.add_subparsers(dest="kind", required=True)
    img = kind.add_parser("images", help="still-image pipeline")
    img.add_argument("target", nargs="?", type=Path, help="an image or a directory of images")
    img.add_argument("--synthetic", action="store_true", help="generated 1080p and 720p frames (seed 0)")
    img.add_argument("--backend", action="append", choices=["unet", "deeplabv3plus"])
    img.add_argument("--size", action="append", type=_size, help="synthetic size WxH (repeatable)")
    img.add_argument("--engine", action="append", choices=["onnx", "onnx-int8", "torch"],
                     help="engines to compare (default: the configured one)")
    img.add_argument("--runs", type=int, default=20)
    add_small_faces(img)
    img.add_argument("--json", type=Path)
    img.add_argument("--plot", type=Path, help="PNG of throughput versus input size per engine/backend")
    img.set_defaults(func=_bench_images)
    vid = kind.add_parser("video", help="video pipeline fps vs the decode+encode ceiling (and deface)")
    vid.add_argument("target", nargs="?", type=Path, help="a video file")
    vid.add_argument("--synthetic", action="store_true", help="generated 1280x720 30 fps clip (seed 0)")
    vid.add_argument("--seconds", type=float, default=10.0, help="length of the synthetic clip")
    vid.add_argument("--size", type=_size, default=(1280, 720), help="synthetic clip size WxH")
    vid.add_argument("--backend", default="unet", choices=["unet", "deeplabv3plus"])
    vid.add_argument("--profile", action="append", choices=sorted(PROFILES),
                     help="video profiles to measure (default: all of them)")
    vid.add_argument("--stride", type=int, help="override each profile's detection stride")
    vid.add_argument("--compare", choices=["deface"], action="append", default=[])
    vid.add_argument("--no-second-look", dest="second_look", action="store_false", default=None,
                     help="no zoomed second look where a track's object was missed (the ablation)")
    vid.add_argument("--edge-every", type=int,
                     help="between detected frames, search the side bands for faces every N-th frame "
                          "(0: never, the ablation)")
    vid.add_argument("--small-face-work-size", type=int,
                     help="long side of the finer face pass for faces under 24 px (0: none, the ablation)")
    vid.add_argument("--json", type=Path)
    vid.set_defaults(func=_bench_video)
    load = kind.add_parser("load", help="concurrent clients sending photos to a live /v1/redact")
    load.add_argument("images", nargs="+", type=Path, help="images or directories of images")
    load.add_argument("--clients", type=int, default=64)
    load.add_argument("--per-client", type=int, default=5, help="requests each client sends")
    load.add_argument("--url", help="a running Veil (default: start veil serve on loopback with this "
                                    "environment's settings)")
    load.add_argument("--pid", type=int, help="the running Veil's process id, for its memory")
    load.add_argument("--container", help="a podman container running Veil: sample its memory")
    load.add_argument("--json", type=Path)
    load.set_defaults(func=_bench_load)


def _size(text: str) -> tuple[int, int]:
    w, _, h = text.lower().partition("x")
    return int(w), int(h)


def _bench_images(args: argparse.Namespace) -> int:
    from service.bench.images import SYNTHETIC_SIZES, header, load_inputs, run
    from service.config import Ablation, Settings
    from service.inference.devices import resolve

    settings = Settings()
    backends = args.backend or ["unet", "deeplabv3plus"]
    inputs = load_inputs(args.target, args.synthetic, tuple(args.size or SYNTHETIC_SIZES))
    compute = resolve(settings.device, settings.engine, settings.threads, int8=True)
    result: dict = {"header": header(compute), "engines": {}}
    for engine in args.engine or [compute.engine + ("-int8" if compute.int8 else "")]:
        settings = Settings(engine=engine.removesuffix("-int8"))
        models = settings.load_models(tuple(backends), Ablation(int8=engine.endswith("-int8")))
        blocks = run(models, inputs, backends, args.runs, settings.max_pixels, args.small_face_work_size)
        result["engines"][engine] = blocks
        for block in blocks:
            for row in block["rows"]:
                stages = " ".join(f"{k}={v['p50_ms']}" for k, v in row["stages"].items())
                e2e, ceiling = row["end_to_end"], row["ceiling_decode_encode"]["p50_ms"]
                print(f"{engine:>5} {row['backend']:>13} {row['input']:<26} p50={e2e['p50_ms']} ms "
                      f"p95={e2e['p95_ms']} ms ceiling={ceiling} ms | {stages}")
            if len(block["rows"]) > 1:
                pooled = block["pooled"]
                print(f"{engine:>5} {pooled['backend']:>13} {pooled['inputs']} inputs pooled: "
                      f"p50={pooled['end_to_end']['p50_ms']} ms p95={pooled['end_to_end']['p95_ms']} ms")
            print(f"peak RSS {block['peak_rss_mb']} MB, peak GPU {block['peak_gpu_mb']} MB")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.plot:
        from service.bench.plot import throughput_plot

        series: dict[str, list[tuple[float, float]]] = {}
        for engine, blocks in result["engines"].items():
            for block in blocks:
                for row in block["rows"]:
                    w, h = map(int, row["size"].split("x"))
                    series.setdefault(f"{engine} {row['backend']}", []).append(
                        (w * h / 1e6, row["throughput_per_s"]))
        h = result["header"]
        where = h["gpu"] or h["machine"]
        title = f"Veil images/s, {h['device']} ({where}), {h['threads']} threads, {h['date']}"
        throughput_plot(series, args.plot, title)
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
        w, h = args.size
        src = args.target or synthetic_clip(Path(work) / f"synthetic-{w}x{h}.mp4", w, h, seconds=args.seconds)
        chosen = {name: PROFILES[name].video_options(stride=args.stride, second_look=args.second_look,
                                                     edge_every=args.edge_every,
                                                     small_face_work_size=args.small_face_work_size)
                  for name in args.profile or sorted(PROFILES)}
        video = bench_video(models, src, args.backend, chosen, "deface" in args.compare)
        result = {"header": header(models.compute), "video": video}
    v = result["video"]
    print(f"{v['input']} {v['size']} {v['frames']} frames ({v['seconds']} s), "
          f"peak RSS {v['peak_rss_mb']} MB, peak GPU {v['peak_gpu_mb']} MB")
    for row in v["rows"]:
        stages = " ".join(f"{k}={v}" for k, v in row.get("stages_ms_per_frame", {}).items())
        print(f"  {row['what']:<40} {row['fps']:>7} fps  {row.get('vs_ceiling', '')}"
              + (f" | peak RSS {row['peak_rss_mb']} MB" if "peak_rss_mb" in row else "")
              + (f" | ms/frame {stages}" if stages else ""))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


def _bench_load(args: argparse.Namespace) -> int:
    import contextlib
    import os
    import platform
    import time

    from service.bench.images import cpu_name
    from service.bench.load import local_server, peak_memory, photos, run_load

    images = photos(args.images)
    with contextlib.ExitStack() as stack:
        url, pid = args.url, args.pid
        if url is None:
            port, proc = stack.enter_context(local_server({}))
            url, pid = f"http://127.0.0.1:{port}", proc.pid
        with peak_memory(args.container) as container:
            summary = run_load(url, images, args.clients, args.per_client, pid).summary()
        if container:
            summary["container_memory_mib"] = {k: round(v) for k, v in container.items()}

    result = {"header": {"machine": f"{platform.machine()} {os.cpu_count()} CPUs ({cpu_name()})",
                         "date": time.strftime("%Y-%m-%d"), "images": len(images),
                         "settings": {k: v for k, v in os.environ.items() if k.startswith("VEIL_")}},
              "load": summary}
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if summary["errors"] == 0 else 1
