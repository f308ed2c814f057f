"""What an operator relies on: metrics without request content, API keys, offline docs, config errors."""

import hashlib
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from service.api.app import create_app
from service.config import Settings
from tests.conftest import gradient, jpeg_bytes

KEY = "veil-test-key-0123456789"


def test_metrics_count_routes_and_stages_but_hold_nothing_of_the_request(client):
    secret_name = "holiday-photo-of-alice.jpg"
    body = jpeg_bytes(gradient(96, 128))
    assert client.post("/v1/redact?mode=fill", files={"file": (secret_name, body)}).status_code == 200
    assert client.post("/v1/analyze", files={"file": (secret_name, body)}).status_code == 200
    client.get("/no/such/path")
    text = client.get("/metrics").text
    assert 'veil_http_requests_total{method="POST",route="/v1/redact",status="200"}' in text
    assert 'route="unmatched"' in text and "/no/such/path" not in text
    assert 'veil_stage_duration_seconds_count{stage="decode"}' in text
    assert "veil_http_requests_in_flight" in text
    assert secret_name not in text and "alice" not in text
    # nothing that counts or measures what was found, and no per-request identifiers
    for forbidden in ("face", "plate", "score", "detection", "object", "request_id", "bytes"):
        assert forbidden not in text.lower().replace("veil_http_request_duration", ""), forbidden


def test_queue_depth_and_job_outcomes_are_exported(jobs_client):
    text = jobs_client.get("/metrics").text
    assert "veil_jobs_queued " in text


def keyed_settings(settings, tmp_path) -> Settings:
    keys = tmp_path / "keys"
    keys.write_text("# one digest per line\n" + hashlib.sha256(KEY.encode()).hexdigest() + "\n")
    return settings.model_copy(update={"api_keys_file": keys})


def test_api_keys_guard_every_v1_route_and_leave_health_open(settings, tmp_path):
    with TestClient(create_app(keyed_settings(settings, tmp_path))) as c:
        body = jpeg_bytes(gradient(64, 64))
        refused = c.post("/v1/redact", files={"file": ("a.jpg", body)})
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"] == "/problems/unauthorized"
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert c.post("/v1/redact", files={"file": ("a.jpg", body)},
                      headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/v1/jobs/0123abcd", headers={"X-API-Key": "wrong"}).status_code == 401
        assert c.post("/v1/redact", files={"file": ("a.jpg", body)},
                      headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
        assert c.post("/v1/analyze", files={"file": ("a.jpg", body)},
                      headers={"X-API-Key": KEY}).status_code == 200
        assert c.get("/v1/jobs/0123abcd", headers={"X-API-Key": KEY}).status_code == 404
        for open_path in ("/healthz", "/readyz", "/metrics", "/docs", "/openapi.json"):
            assert c.get(open_path).status_code == 200, open_path
        schemes = c.get("/openapi.json").json()["components"]["securitySchemes"]
        assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}


def test_swagger_ui_is_served_from_local_files(client):
    page = client.get("/docs").text
    assert "cdn." not in page and "https://" not in page.replace("https://swagger.io", "")
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        path = f"/docs/assets/{asset}"
        assert path in page
        resp = client.get(path)
        assert resp.status_code == 200 and len(resp.content) > 10_000
    assert client.get("/openapi.json").json()["openapi"].startswith("3.")


def run_cli(*args, env=None, stdin=""):
    import os

    return subprocess.run([sys.executable, "-m", "service.cli", *args], input=stdin, text=True,
                          capture_output=True, env={**os.environ, **(env or {})}, timeout=120)


@pytest.mark.parametrize(("env", "names"), [
    ({"VEIL_THREADS": "0"}, ["VEIL_THREADS"]),
    ({"VEIL_THREADS": "many", "VEIL_QUEUE": "kafka"}, ["VEIL_THREADS", "VEIL_QUEUE"]),
    ({"VEIL_MODELS_DIR": "/no/such/dir"}, ["VEIL_MODELS_DIR"]),
    ({"VEIL_API_KEY_HASHES": '["not-a-digest"]'}, ["VEIL_API_KEY_HASHES"]),
])
def test_invalid_settings_stop_start_up_with_one_line_each(env, names):
    done = run_cli("serve", env=env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == len(names) and "Traceback" not in done.stderr
    assert {line.split(":")[0] for line in lines} == {f"invalid setting {name}" for name in names}
    assert "many" not in done.stderr and "kafka" not in done.stderr  # values are not echoed


def test_hash_key_prints_the_digest_to_configure():
    done = run_cli("hash-key", stdin=KEY + "\n")
    assert done.returncode == 0 and done.stdout.strip() == hashlib.sha256(KEY.encode()).hexdigest()


def test_idempotency_key_replays_the_first_redaction_and_refuses_reuse(client):
    body = jpeg_bytes(gradient(96, 128))
    headers = {"Idempotency-Key": "dms-upload-7f3a"}
    first = client.post("/v1/redact?mode=fill&regions=[[10,10,50,50]]", files={"file": ("a.jpg", body)},
                        headers=headers)
    second = client.post("/v1/redact?mode=fill&regions=[[10,10,50,50]]", files={"file": ("a.jpg", body)},
                         headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content and second.headers["idempotent-replay"] == "true"
    assert "idempotent-replay" not in first.headers
    other = client.post("/v1/redact?mode=blur", files={"file": ("a.jpg", body)}, headers=headers)
    assert other.status_code == 422 and other.json()["type"] == "/problems/idempotency-key-reused"


def test_the_replay_cache_is_bounded_and_expires():
    import time

    from service.api.replay import Answer, ReplayCache

    cache = ReplayCache(ttl_seconds=0.2, max_bytes=10)
    cache.put("a", "d1", Answer(b"123456", "image/png"))
    cache.put("b", "d2", Answer(b"7890ab", "image/png"))  # over 10 bytes: the oldest goes
    assert cache.get("a", "d1") is None and cache.get("b", "d2").body == b"7890ab"
    time.sleep(0.25)
    assert cache.get("b", "d2") is None


def test_a_full_wait_queue_answers_busy_at_once_with_retry_after(settings, monkeypatch):
    import threading
    import time

    import service.api.routes as routes

    real = routes.redact_any

    def slow(*args):
        time.sleep(1.5)
        return real(*args)

    monkeypatch.setattr(routes, "redact_any", slow)
    body = jpeg_bytes(gradient(64, 64))
    answers = []
    with TestClient(create_app(settings.model_copy(update={"max_concurrency": 1, "max_queue": 1}))) as c:
        def send():
            answers.append(c.post("/v1/redact", files={"file": ("a.jpg", body)}))

        threads = [threading.Thread(target=send) for _ in range(4)]
        start = time.monotonic()
        for t in threads:
            t.start()
            time.sleep(0.1)
        for t in threads:
            t.join()
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 200, 503, 503], codes
    busy = [a for a in answers if a.status_code == 503]
    assert all(a.json()["type"] == "/problems/busy" and int(a.headers["retry-after"]) >= 1 for a in busy)
    assert time.monotonic() - start < 5  # the refused ones did not wait for a slot
