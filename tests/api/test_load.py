"""64 concurrent clients against a live server on loopback: only deliberate 503s (retried after their
Retry-After), every other answer a redacted image, and memory flat from the 100th request to the last."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import gradient, jpeg_bytes, live_server

CLIENTS, PER_CLIENT = 64, 5


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


@pytest.fixture(scope="module")
def live(tiny_models_dir, tmp_path_factory):
    env = {"VEIL_MODELS_DIR": str(tiny_models_dir), "VEIL_THREADS": "1", "VEIL_MAX_CONCURRENCY": "2",
           "VEIL_MAX_QUEUE": "8", "VEIL_JOBS_DIR": str(tmp_path_factory.mktemp("jobs"))}
    with live_server(env) as (port, proc):
        yield f"http://127.0.0.1:{port}", proc.pid


def test_64_clients_get_answers_or_deliberate_busy_and_memory_stays_flat(live):
    url, pid = live
    body = jpeg_bytes(gradient(240, 320))
    lock = threading.Lock()
    done, busy, errors, rss = [0], [0], [], {}

    def client() -> None:
        for _ in range(PER_CLIENT):
            while True:
                req = urllib.request.Request(f"{url}/v1/redact", data=body, method="POST",
                                             headers={"Content-Type": "image/jpeg"})
                try:
                    with urllib.request.urlopen(req, timeout=120) as resp:
                        ok = resp.status == 200 and resp.headers["Content-Type"] == "image/jpeg"
                        resp.read()
                except urllib.error.HTTPError as err:
                    if err.code == 503 and err.headers["Retry-After"]:
                        with lock:
                            busy[0] += 1
                        time.sleep(min(1.0, float(err.headers["Retry-After"])) * 0.2)
                        continue
                    ok = False
                except OSError as exc:
                    with lock:
                        errors.append(type(exc).__name__)
                    return
                with lock:
                    if not ok:
                        errors.append("bad answer")
                    done[0] += 1
                    if done[0] == 100:
                        rss["at 100"] = _rss_kib(pid)
                break

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rss["at end"] = _rss_kib(pid)
    assert errors == [] and done[0] == CLIENTS * PER_CLIENT
    assert busy[0] > 0  # the queue was full at times: refused at once, not held in memory
    assert rss["at end"] < 1.10 * rss["at 100"], rss
