"""Nothing about what a request contained or what was found reaches the logs or the metrics: a live
``veil serve`` at DEBUG level, real models, a photo with faces (redact and analyze) and a video job."""

from __future__ import annotations

import http.client
import json
import time
import uuid

import pytest

from service.api.replay import fingerprint
from tests.conftest import FIXTURES, MODELS, free_port, live_server, make_clip

PHOTO = "street_faces_809.jpg"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("log") / "server.log"
    env = {"VEIL_MODELS_DIR": str(MODELS), "VEIL_LOG_LEVEL": "DEBUG", "VEIL_THREADS": "2",
           "VEIL_JOBS_DIR": str(tmp_path_factory.mktemp("jobs"))}
    with live_server(env, log) as (port, _):
        yield port, log


def _call(port: int, method: str, path: str, body: bytes = b"", headers: dict | None = None,
          client_port: int = 0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120,
                                      source_address=("127.0.0.1", client_port))
    conn.request(method, path, body=body or None, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def test_logs_and_metrics_hold_nothing_a_request_carried_or_the_models_found(server, tmp_path):
    port, log = server
    photo = (FIXTURES / PHOTO).read_bytes()
    client_port = free_port()
    name = f"alice-{uuid.uuid4().hex[:6]}.jpg"
    boundary = "veilboundary"
    form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode() + photo + f"\r\n--{boundary}--\r\n".encode()
    multipart = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    status, found = _call(port, "POST", "/v1/analyze", form, multipart, client_port=client_port)
    assert status == 200
    objects = json.loads(found)["regions"]
    assert len(objects) >= 3
    key = f"dms-upload-{uuid.uuid4().hex[:8]}"  # an Idempotency-Key, and the digest kept under it
    assert _call(port, "POST", "/v1/redact?regions=[[313,271,377,333]]", form,
                 {**multipart, "Idempotency-Key": key})[0] == 200
    digest = fingerprint("redact", photo, {"regions": "[[313,271,377,333]]"})
    status, _ = _call(port, "POST", "/v1/segment?box=[287,41,338,95]&format=json", photo,
                      {"Content-Type": "image/jpeg"})
    assert status == 200
    clip = make_clip(tmp_path / "c.mp4", frames=15).read_bytes()
    status, job = _call(port, "POST", "/v1/jobs?regions=[[41,43,97,99]]", clip,
                        {"Content-Type": "video/mp4"})
    assert status == 202
    job_id = json.loads(job)["id"]
    deadline = time.time() + 120
    while json.loads(_call(port, "GET", f"/v1/jobs/{job_id}")[1])["status"] not in ("succeeded", "failed"):
        assert time.time() < deadline
        time.sleep(0.3)
    metrics = _call(port, "GET", "/metrics")[1].decode()
    time.sleep(0.5)
    text = log.read_text()
    assert "route=/v1/analyze status=200" in text  # the access line is there, and nothing more
    for haystack in (text, metrics):
        assert name not in haystack and "alice" not in haystack
        assert key not in haystack and digest not in haystack and digest[:16] not in haystack
        assert "287,41" not in haystack
        assert job_id not in haystack
        assert f":{client_port}" not in haystack and f" {client_port} " not in haystack
        for coords in ("313,271", "41,43", "[[", "score", "regions"):
            assert coords not in haystack, coords
        for obj in objects:  # nothing the models found: no box coordinates, no scores
            box = obj["box"]
            assert ", ".join(str(v) for v in box) not in haystack and f"{box[0]} {box[1]}" not in haystack
            if len(str(obj["score"])) >= 5:  # 0.xxx: long enough not to match a duration by chance
                assert str(obj["score"]) not in haystack
