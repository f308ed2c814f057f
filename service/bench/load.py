"""Load on a live Veil over loopback: N clients each POST real photos to /v1/redact back to back.

A ``503 busy`` is the deliberate answer of a full queue: the client waits its ``Retry-After`` and sends
again, and it is counted apart from errors. Latency is measured per answered request,
from its first attempt to its answer (waits after ``busy`` included). The server's resident memory is
read after the 100th answer and after the last, so growth under load shows.
"""

from __future__ import annotations

import mimetypes
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def local_server(env: dict[str, str], log: Path | None = None) -> Iterator[tuple[int, subprocess.Popen]]:
    """``veil serve`` in its own process on a free loopback port, with ``env`` added to the environment;
    yields (port, process) once /readyz answers, and stops it after. Output goes to ``log`` if given."""
    port = free_port()
    out = log.open("w") if log else subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
                            env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("veil serve did not become ready") from None
                time.sleep(0.3)
        yield port, proc
    finally:
        proc.terminate()
        proc.wait(30)
        if log:
            out.close()


def container_mib(container: str) -> float | None:
    """A podman container's memory in use (``podman stats``), in MiB; None if it cannot be read."""
    out = subprocess.run(["podman", "stats", "--no-stream", "--format", "{{.MemUsage}}", container],
                         capture_output=True, text=True).stdout.strip()
    used = out.split("/")[0].strip().upper() if out else ""
    for unit, scale in (("GIB", 1024.0), ("GB", 1e6 / 1024), ("MIB", 1.0), ("MB", 1000 / 1024),
                        ("KIB", 1 / 1024), ("KB", 1 / 1024)):
        if used.endswith(unit):
            return float(used[: -len(unit)]) * scale
    return None


@contextmanager
def peak_memory(container: str | None) -> Iterator[dict[str, float]]:
    """Samples ``container``'s memory every half second while the block runs: idle and peak MiB."""
    seen: dict[str, float] = {}
    if not container:
        yield seen
        return
    stop = threading.Event()
    seen["idle_mib"] = container_mib(container) or 0.0

    def sample() -> None:
        while not stop.wait(0.5):
            if (m := container_mib(container)) is not None:
                seen["peak_mib"] = max(seen.get("peak_mib", 0.0), m)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield seen
    finally:
        stop.set()
        sampler.join()


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def photos(paths: list[Path]) -> list[tuple[bytes, str]]:
    """The images named or found under ``paths`` (sorted), with their media types."""
    files = sorted(p for path in paths for p in ([path] if path.is_file() else path.rglob("*"))
                   if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError("no JPEG, PNG or WebP images found")
    return [(f.read_bytes(), mimetypes.guess_type(f.name)[0] or "image/jpeg") for f in files]


@dataclass
class LoadResult:
    clients: int
    requests: int
    answered: int = 0
    busy: int = 0
    errors: list[str] = field(default_factory=list)
    latencies_s: list[float] = field(default_factory=list)
    rss_kib: dict[str, int] = field(default_factory=dict)
    rss_readings: list[tuple[int, int]] = field(default_factory=list)  # (answers so far, KiB)
    seconds: float = 0.0

    def rss_third(self, third: int) -> float | None:
        """Median RSS (KiB) of the readings taken during the first, middle or last (0, 1, 2) third of the
        answers; None without readings there."""
        lo, hi = self.requests * third // 3, self.requests * (third + 1) // 3
        hi = hi if third < 2 else self.requests + 1
        kib = [k for answered, k in self.rss_readings if lo <= answered < hi]
        return float(np.median(kib)) if kib else None

    def summary(self) -> dict:
        lat = np.asarray(self.latencies_s) * 1000 if self.latencies_s else np.zeros(1)
        middle, last = self.rss_third(1), self.rss_third(2)
        growth = last / middle - 1 if middle and last else None
        thirds = {"middle third": middle, "last third": last}
        return {"clients": self.clients, "requests": self.requests, "answered": self.answered,
                "busy_answers": self.busy, "errors": len(self.errors),
                "error_kinds": sorted(set(self.errors)),
                **{f"p{q}_ms": round(float(np.percentile(lat, q))) for q in (50, 95, 99)},
                "seconds": round(self.seconds, 1),
                "answers_per_s": round(self.answered / self.seconds, 2) if self.seconds else None,
                "rss_mib": {k: round(v / 1024) for k, v in {**thirds, **self.rss_kib}.items() if v},
                "rss_growth_last_third": None if growth is None else round(growth, 4)}


def run_load(url: str, images: list[tuple[bytes, str]], clients: int, per_client: int,
             pid: int | None = None, timeout: float = 300, patience: float = 1.0) -> LoadResult:
    """``clients`` threads each send ``per_client`` images (cycling through ``images``) to ``url``; after
    ``busy`` a client waits ``patience`` × Retry-After (1: as the server asks)."""
    result = LoadResult(clients, clients * per_client)
    lock = threading.Lock()

    def answered(ok: bool, seconds: float) -> None:
        with lock:
            result.answered += 1
            result.latencies_s.append(seconds)
            if not ok:
                result.errors.append("unexpected answer")

    def client(k: int) -> None:
        for i in range(per_client):
            body, kind = images[(k * per_client + i) % len(images)]
            start = time.monotonic()
            while True:
                req = urllib.request.Request(f"{url}/v1/redact", data=body, method="POST",
                                             headers={"Content-Type": kind})
                try:
                    with urllib.request.urlopen(req, timeout=timeout) as resp:
                        ok = resp.status == 200 and resp.headers["Content-Type"] == kind
                        resp.read()
                except urllib.error.HTTPError as err:
                    if err.code == 503 and err.headers["Retry-After"]:
                        with lock:
                            result.busy += 1
                        time.sleep(float(err.headers["Retry-After"]) * patience)
                        continue
                    ok = False
                except OSError as exc:
                    with lock:
                        result.errors.append(type(exc).__name__)
                    return
                answered(ok, time.monotonic() - start)
                break

    done = threading.Event()

    def watch_memory() -> None:
        while not done.wait(0.05):
            kib = rss_kib(pid)
            with lock:
                result.rss_readings.append((result.answered, kib))
                result.rss_kib["peak"] = max(result.rss_kib.get("peak", 0), kib)

    start = time.monotonic()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    watcher = threading.Thread(target=watch_memory, daemon=True) if pid else None
    for t in threads + ([watcher] if watcher else []):
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.monotonic() - start
    if watcher:
        done.set()
        watcher.join()
        result.rss_kib["at end"] = rss_kib(pid)
    return result
