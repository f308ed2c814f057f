"""The real image, built with podman from the Dockerfile (deploy/podman/build.sh) and smoke-tested:
it starts as a non-root user on a read-only root, answers /readyz, redacts a real photo's faces
through the API, carries no torch, and stops cleanly on SIGTERM.

Needs podman and mmdebstrap (.ci/run installs them); skipped where they are absent.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import FIXTURES, ROOT, fixture_faces, free_port

TAG = "localhost/veil:cpu-test"
CACHE = Path(os.environ.get("VEIL_IMAGE_CACHE", Path.home() / ".cache" / "veil"))
PHOTO = "street_faces_249.jpg"

pytestmark = pytest.mark.skipif(
    not (shutil.which("podman") and shutil.which("mmdebstrap")),
    reason="podman/mmdebstrap not installed (.ci/run installs them from Debian packages)")


def podman(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "CONTAINERS_CONF": str(CACHE / "containers.conf")}
    return subprocess.run(["podman", *args], capture_output=True, text=True, env=env, check=check,
                          timeout=timeout)


def _request(url: str, data: bytes | None = None, headers: dict | None = None, timeout: float = 60):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data else "GET")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, resp.headers, resp.read()


@pytest.fixture(scope="module")
def container():
    env = {**os.environ, "TAG": TAG, "VEIL_IMAGE_CACHE": str(CACHE)}
    subprocess.run([str(ROOT / "deploy" / "podman" / "build.sh")], check=True, env=env, timeout=1800)
    name, port = f"veil-smoke-{uuid.uuid4().hex[:8]}", free_port()
    podman("run", "-d", "--name", name, "--network=slirp4netns", "-p", f"127.0.0.1:{port}:8000",
           "--read-only", "--tmpfs", "/var/lib/veil/jobs:rw,U", "-e", "VEIL_THREADS=2", TAG)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 180
        while True:
            try:
                if _request(f"{base}/readyz", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            state = podman("inspect", "--format", "{{.State.Running}}", name).stdout.strip()
            logs = podman("logs", name, check=False).stderr[-3000:]
            assert state == "true" and time.time() < deadline, logs
            time.sleep(1)
        yield name, base
    finally:
        podman("rm", "-f", name, check=False)


def test_the_image_serves_redaction_as_a_non_root_user_without_torch(container):
    name, base = container
    ready = json.loads(_request(f"{base}/readyz")[2])
    assert ready["status"] == "ready" and ready["engine"] == "onnx"
    photo = (FIXTURES / PHOTO).read_bytes()
    status, headers, body = _request(f"{base}/v1/redact?mode=fill&colour=ff00ff&classes=faces", photo,
                                     {"Content-Type": "image/jpeg"})
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    out = np.asarray(Image.open(io.BytesIO(body)).convert("RGB")).astype(int)
    magenta = (out[..., 0] > 200) & (out[..., 1] < 80) & (out[..., 2] > 200)
    for x1, y1, x2, y2 in fixture_faces()[PHOTO]:
        inner = magenta[int(y1 + (y2 - y1) * 0.3):int(y2 - (y2 - y1) * 0.3),
                        int(x1 + (x2 - x1) * 0.3):int(x2 - (x2 - x1) * 0.3)]
        assert inner.mean() > 0.9  # the centre of every face is filled
    assert magenta.mean() < 0.25  # and not the whole picture
    who = podman("exec", name, "sh", "-c", "id -u; python3 -c 'import torch' 2>&1 | tail -n1; "
                 "touch /opt/veil-models/x 2>&1 | tail -n1; touch /x 2>&1 | tail -n1").stdout
    uid, torch_import, models_write, root_write = who.strip().splitlines()
    assert uid == "10001"
    assert "No module named 'torch'" in torch_import
    assert "Read-only file system" in models_write and "Read-only file system" in root_write


def test_the_image_serves_the_editor_and_segments(container):
    """The editor's files ship in the wheel (package data) and /v1/segment runs in the image."""
    _, base = container
    status, headers, body = _request(f"{base}/editor/")
    assert status == 200 and b"editor.js" in body
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert _request(f"{base}/editor/editor.js")[0] == 200
    photo = (FIXTURES / PHOTO).read_bytes()
    x1, y1, x2, y2 = fixture_faces()[PHOTO][0]
    box = f"[{int(x1) - 6},{int(y1) - 6},{int(x2) + 6},{int(y2) + 6}]"
    status, headers, body = _request(f"{base}/v1/segment?kind=faces&format=json&box={box}", photo,
                                     {"Content-Type": "image/jpeg"})
    assert status == 200 and json.loads(body)["area"] > 0.3 * (x2 - x1) * (y2 - y1)


def test_sigterm_stops_the_container_cleanly(container):
    name, _ = container
    start = time.monotonic()
    podman("stop", "--time", "30", name)
    took = time.monotonic() - start
    code = podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip()
    assert took < 15 and code == "0", (took, code)  # shut down on SIGTERM, not killed after the grace time
