"""``veil`` command line: redact files, serve the API, train and evaluate models. Same core as the API."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from service.core.params import RedactParams, to_all_options
from service.errors import VeilError


def _add_redact(sub) -> None:
    p = sub.add_parser("redact", help="redact images on disk")
    p.add_argument("inputs", nargs="+", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True,
                   help="a file for one input, a directory for several")
    p.add_argument("--masks", type=Path, help="also write one 0/255 PNG mask per input here")
    for name, f in RedactParams.model_fields.items():
        p.add_argument(f"--{name.replace('_', '-')}", dest=name, default=None, help=f.description)
    p.set_defaults(func=_redact)


def _redact(args: argparse.Namespace) -> int:
    from service.core.still import redact_with_mask
    from service.media.images import encode_mask_png

    settings = _settings()
    fields = {k: v for k in RedactParams.model_fields if (v := getattr(args, k)) is not None}
    try:
        opts, vopts = to_all_options(fields, settings.default_backend, settings.video_profile)
        models = settings.load_models((opts.backend,))
    except VeilError as exc:
        print(f"veil: {exc.detail}", file=sys.stderr)
        return 2
    several = len(args.inputs) > 1 or args.output.is_dir()
    if several:
        args.output.mkdir(parents=True, exist_ok=True)
    if args.masks:
        args.masks.mkdir(parents=True, exist_ok=True)
    failed = 0
    for path in args.inputs:
        try:
            if not _is_image(path):
                target = args.output / path.name if several else args.output
                _redact_video(models, path, target, opts, vopts, settings.video_limits())
                continue
            out, mask = redact_with_mask(models, path.read_bytes(), opts, settings.max_pixels)
        except (VeilError, OSError, ValueError) as exc:
            detail = exc.detail if isinstance(exc, VeilError) else "cannot read file"
            print(f"veil: {path}: {detail}", file=sys.stderr)
            failed += 1
            continue
        target = args.output / f"{path.stem}.{out.extension}" if several else args.output
        target.write_bytes(out.body)
        if args.masks:
            (args.masks / f"{path.stem}.png").write_bytes(encode_mask_png(mask))
    return 1 if failed else 0


def _is_image(path: Path) -> bool:
    from service.media.images import sniff

    with path.open("rb") as fh:
        head = fh.read(16)
    try:
        sniff(head)
        return True
    except VeilError:
        return False


def _redact_video(models, src: Path, dst: Path, opts, vopts, limits) -> None:
    from service.core.video_pipeline import redact_video

    def bar(done: float) -> None:
        if sys.stderr.isatty():
            filled = int(done * 30)
            print(f"\r{src.name} [{'#' * filled}{'.' * (30 - filled)}] {done:4.0%}", end="", file=sys.stderr)

    redact_video(models, src, dst, opts, vopts, limits, bar)
    if sys.stderr.isatty():
        print(file=sys.stderr)


def _settings():
    """Settings from the environment; invalid ones stop the command with one line each (exit 2)."""
    from pydantic import ValidationError

    from service.config import Settings, problems_of

    try:
        return Settings()
    except ValidationError as exc:
        for line in problems_of(exc):
            print(line, file=sys.stderr)
        raise SystemExit(2) from None


def _serve(args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from service.api.app import create_app

    settings = _settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    from service.api.access_log import MAX_LINE

    uvicorn.run(create_app(settings), host=args.host, port=args.port, access_log=False,
                log_level=settings.log_level.lower(), h11_max_incomplete_event_size=MAX_LINE)
    return 0


def _worker(args: argparse.Namespace) -> int:
    import logging

    from service.jobs.queue import work

    settings = _settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    models = settings.load_models()
    on_finished = None
    if settings.worker_metrics_port:
        from prometheus_client import start_http_server

        from service.api.metrics import Metrics

        metrics = Metrics()
        start_http_server(settings.worker_metrics_port, registry=metrics.registry)
        on_finished = metrics.count_job
    work(settings, models, burst=args.burst, on_finished=on_finished)
    return 0


def _hash_key(_: argparse.Namespace) -> int:
    """Reads an API key from stdin, prints the digest to configure (the key itself is never stored)."""
    from service.api.auth import key_digest

    key = sys.stdin.readline().strip()
    if not key:
        print("no key on stdin", file=sys.stderr)
        return 2
    print(key_digest(key))
    return 0


def _train(args: argparse.Namespace) -> int:
    from service.training.train import train

    args.argv = sys.argv[2:]
    train(args)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="veil", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _add_redact(sub)
    s = sub.add_parser("serve", help="run the HTTP API")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.set_defaults(func=_serve)
    w = sub.add_parser("worker", help="run video jobs from Redis (VEIL_QUEUE=redis, VEIL_REDIS_URL)")
    w.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    w.set_defaults(func=_worker)
    h = sub.add_parser("hash-key", help="print the SHA-256 digest of an API key read from stdin "
                                        "(for VEIL_API_KEY_HASHES or VEIL_API_KEYS_FILE)")
    h.set_defaults(func=_hash_key)
    from service.training.arguments import add_arguments

    t = sub.add_parser("train", help="train a segmentation model from ../shared/data")
    add_arguments(t)
    t.set_defaults(func=_train)
    from service.bench.cli import add_bench
    from service.evaluation.cli import (
        add_evaluate,
        add_evaluate_negatives,
        add_evaluate_prompts,
        add_evaluate_verifier,
        add_evaluate_video,
    )
    from service.training.quantize import add_quantize

    add_evaluate(sub)
    add_evaluate_video(sub)
    add_evaluate_negatives(sub)
    add_evaluate_prompts(sub)
    add_evaluate_verifier(sub)
    add_bench(sub)
    add_quantize(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
