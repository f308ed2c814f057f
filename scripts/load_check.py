"""Requests per second and memory of a running Veil (a container or any URL), for sizing replicas.

Posts every image of a folder to /v1/redact, ``--rounds`` times, from ``--clients`` concurrent clients,
and reports throughput and latency percentiles. With ``--container NAME`` it also samples the
container's memory (podman stats) every half second and reports its peak. Nothing is kept.

    python scripts/load_check.py --url http://127.0.0.1:8000 --images DIR --clients 2 --container veil
"""

from __future__ import annotations

import argparse
import json
import subprocess
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np


def _post(url: str, data: bytes) -> float:
    t0 = time.perf_counter()
    req = urllib.request.Request(f"{url}/v1/redact", data=data, headers={"Content-Type": "image/jpeg"},
                                 method="POST")
    with urllib.request.urlopen(req, timeout=300) as resp:
        resp.read()
    return time.perf_counter() - t0


def _memory_mib(container: str) -> float | None:
    out = subprocess.run(["podman", "stats", "--no-stream", "--format", "{{.MemUsage}}", container],
                         capture_output=True, text=True).stdout.strip()
    if not out:
        return None
    used = out.split("/")[0].strip().upper()
    for unit, scale in (("GIB", 1024.0), ("GB", 1000.0 * 1000 / 1024), ("MIB", 1.0), ("MB", 1000 / 1024),
                        ("KIB", 1 / 1024), ("KB", 1 / 1024)):
        if used.endswith(unit):
            return float(used[: -len(unit)]) * scale
    return None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--images", type=Path, required=True)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--clients", type=int, default=1)
    p.add_argument("--container")
    args = p.parse_args()
    photos = [f.read_bytes() for f in sorted(args.images.iterdir()) if f.suffix.lower() in (".jpg", ".jpeg")]
    peak, stop = [0.0], threading.Event()

    def sample() -> None:
        while not stop.wait(0.5):
            if (m := _memory_mib(args.container)) is not None:
                peak[0] = max(peak[0], m)

    sampler = threading.Thread(target=sample, daemon=True)
    if args.container:
        before = _memory_mib(args.container)
        sampler.start()
    _post(args.url, photos[0])  # not counted: the first request of a fresh process
    t0 = time.perf_counter()
    with ThreadPoolExecutor(args.clients) as pool:
        latencies = list(pool.map(lambda d: _post(args.url, d), photos * args.rounds))
    wall = time.perf_counter() - t0
    stop.set()
    ms = np.array(latencies) * 1000
    row = {"requests": len(latencies), "clients": args.clients, "requests_per_s": round(len(ms) / wall, 2),
           "p50_ms": round(float(np.percentile(ms, 50)), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1)}
    if args.container:
        row.update(memory_idle_mib=round(before or 0, 1), memory_peak_mib=round(peak[0], 1))
    print(json.dumps(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
