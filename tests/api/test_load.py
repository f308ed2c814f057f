"""64 concurrent clients sending real photos to a live server on loopback (``veil bench load``'s client):
only deliberate 503s (retried after their Retry-After), every other answer a redacted image of the same
type, and memory flat: its median over the last third of the answers within 10 % of the middle third's."""

from __future__ import annotations

import pytest

from service.bench.load import photos, run_load
from tests.conftest import FIXTURES, live_server

CLIENTS, PER_CLIENT = 64, 5


@pytest.fixture(scope="module")
def live(tiny_models_dir, tmp_path_factory):
    env = {"VEIL_MODELS_DIR": str(tiny_models_dir), "VEIL_THREADS": "1", "VEIL_MAX_CONCURRENCY": "2",
           "VEIL_MAX_QUEUE": "8", "VEIL_JOBS_DIR": str(tmp_path_factory.mktemp("jobs"))}
    with live_server(env) as (port, proc):
        yield f"http://127.0.0.1:{port}", proc.pid


def test_64_clients_get_answers_or_deliberate_busy_and_memory_stays_flat(live):
    url, pid = live
    images = photos([FIXTURES])  # three real street photos (CC0), 400 px wide
    assert len(images) == 3
    result = run_load(url, images, CLIENTS, PER_CLIENT, pid, patience=0.2)  # impatient clients: more busy
    summary = result.summary()
    assert summary["errors"] == 0 and summary["answered"] == CLIENTS * PER_CLIENT, summary
    assert summary["busy_answers"] > 0  # the queue was full at times: refused at once, not held in memory
    assert summary["rss_growth_last_third"] < 0.10, summary
    assert 0 < summary["p50_ms"] <= summary["p95_ms"] <= summary["p99_ms"]
