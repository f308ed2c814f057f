"""Oversized request lines and headers get a problem+json answer from a live server (not a dropped
connection), and large regions sent in the body work."""

from __future__ import annotations

import json
import socket
import time

import pytest

from tests.conftest import gradient, jpeg_bytes, live_server

SERVED: dict = {}


@pytest.fixture(scope="module")
def live(tiny_models_dir, tmp_path_factory):
    SERVED["jobs_dir"] = tmp_path_factory.mktemp("jobs")
    env = {"VEIL_MODELS_DIR": str(tiny_models_dir), "VEIL_THREADS": "1",
           "VEIL_JOBS_DIR": str(SERVED["jobs_dir"])}
    with live_server(env) as (port, _):
        yield port


def _raw(port: int, head: bytes, body: bytes = b"") -> tuple[int, dict, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(head + body)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
            if b"\r\n\r\n" in data:
                head_part, rest = data.split(b"\r\n\r\n", 1)
                length = next((int(line.split(b":")[1]) for line in head_part.split(b"\r\n")
                               if line.lower().startswith(b"content-length")), 0)
                if len(rest) >= length:
                    break
    head_part, rest = data.split(b"\r\n\r\n", 1)
    lines = head_part.split(b"\r\n")
    pairs = (x.split(b":", 1) for x in lines[1:])
    headers = {k.strip().lower().decode(): v.strip().decode() for k, v in pairs}
    return int(lines[0].split()[1]), headers, rest


def test_a_20000_point_polygon_in_the_url_gets_414_problem_json(live):
    polygon = json.dumps([[[i % 640, i % 480] for i in range(20_000)]]).replace(" ", "")
    head = f"POST /v1/redact?regions={polygon} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode()
    status, headers, body = _raw(live, head)
    assert status == 414 and headers["content-type"] == "application/problem+json"
    assert json.loads(body)["type"] == "/problems/uri-too-long"
    assert "multipart" in json.loads(body)["detail"]


def test_huge_headers_get_431_problem_json(live):
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(
        f"X-Pad-{i}: {'a' * 1000}\r\n".encode() for i in range(40)) + b"\r\n"
    status, _, body = _raw(live, head)
    assert status == 431 and json.loads(body)["type"] == "/problems/headers-too-large"


def test_the_same_polygon_in_a_multipart_field_is_applied(live):
    polygon = json.dumps([[[i % 100, (i * 7) % 80] for i in range(20_000)]]).replace(" ", "")
    boundary = "veilb"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"regions\"\r\n\r\n{polygon}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode() + jpeg_bytes(gradient(80, 100)) + \
        f"\r\n--{boundary}--\r\n".encode()
    head = (f"POST /v1/redact HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary={boundary}"
            f"\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    status, headers, _ = _raw(live, head, body)
    assert status == 200 and headers["content-type"] == "image/jpeg"


def test_a_client_that_disconnects_mid_upload_leaves_no_file(live):
    jobs_dir = SERVED["jobs_dir"]
    for path in ("/v1/jobs", "/v1/redact"):
        with socket.create_connection(("127.0.0.1", live), timeout=10) as s:
            s.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: video/mp4\r\n"
                      "Content-Length: 5000000\r\n\r\n".encode() + b"\0" * 100_000)
            deadline = time.time() + 10
            while path == "/v1/jobs" and not [p for p in jobs_dir.iterdir() if p.name != "idempotency"]:
                assert time.time() < deadline, "the upload never started"
                time.sleep(0.05)
        deadline = time.time() + 10
        while left := [p.name for p in jobs_dir.iterdir() if p.name != "idempotency"]:
            assert time.time() < deadline, left  # the half-written upload went with the connection
            time.sleep(0.1)
    status, _, _ = _raw(live, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 200
