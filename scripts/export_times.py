"""One model's ONNX exports timed on this CPU, float against int8, and where the float graph's time goes.

Usage: python scripts/export_times.py models/faces-unet --size 128 --batch 4 [--threads 2] [--nodes 10]
       [--json F]
Runs each export (``model.onnx``, ``model.int8.onnx`` where present) on random input of ``--batch`` ×
3 × size × size, ``--runs`` times after three warm-up runs, with the service's session options
(``engines.session_options``), and prints the median per run and per item. ``--nodes N`` profiles
the float graph and lists its N slowest nodes with their share of the run.
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

from service.bench.images import machine_name
from service.inference.engines import session_options


def _session(path: Path, threads: int, profile_dir: str | None = None):
    import onnxruntime as ort

    opts = session_options(threads)
    if profile_dir:
        opts.enable_profiling = True
        opts.profile_file_prefix = str(Path(profile_dir) / "profile")
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def _times_ms(session, x: np.ndarray, runs: int) -> list[float]:
    feed = {session.get_inputs()[0].name: x}
    for _ in range(3):
        session.run(None, feed)
    took = []
    for _ in range(runs):
        t0 = time.perf_counter()
        session.run(None, feed)
        took.append((time.perf_counter() - t0) * 1000)
    return took


def _slowest_nodes(path: Path, x: np.ndarray, threads: int, runs: int, count: int) -> list[dict]:
    """The float graph's ``count`` slowest nodes (ONNX Runtime's profile), with their share of a run."""
    with tempfile.TemporaryDirectory() as tmp:
        session = _session(path, threads, tmp)
        _times_ms(session, x, runs)
        events = json.loads(Path(session.end_profiling()).read_text())
    spent: collections.Counter[str] = collections.Counter()
    shapes = {}
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            node = e["name"].removesuffix("_kernel_time")
            spent[node] += e["dur"]
            shapes[node] = e["args"].get("output_type_shape")
    total = sum(spent.values()) or 1
    return [{"node": n, "share": round(t / total, 3), "output": shapes[n]}
            for n, t in spent.most_common(count)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model_dir", type=Path)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--nodes", type=int, default=0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    x = np.random.default_rng(0).standard_normal((args.batch, 3, args.size, args.size)).astype(np.float32)
    report = {"model": str(args.model_dir), "size": args.size, "batch": args.batch, "threads": args.threads,
              "machine": machine_name(), "date": date.today().isoformat(), "exports": {}}
    for name in ("model.onnx", "model.int8.onnx"):
        path = args.model_dir / name
        if path.is_file():
            ms = statistics.median(_times_ms(_session(path, args.threads), x, args.runs))
            report["exports"][name] = {"ms_per_run": round(ms, 2), "ms_per_item": round(ms / args.batch, 2)}
            print(f"{name}: {ms:.1f} ms a run, {ms / args.batch:.2f} ms an item")
    if args.nodes:
        report["slowest_nodes"] = _slowest_nodes(args.model_dir / "model.onnx", x, args.threads, args.runs,
                                                 args.nodes)
        for n in report["slowest_nodes"]:
            print(f"{100 * n['share']:5.1f} %  {n['node']}  {n['output']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
