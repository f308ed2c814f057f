"""Every hostile or odd upload of tests/api/hostile_media.py against the API: the expected outcome (the
policy, written next to each case there), problem+json on refusal, a healthy server after each, nothing
of the input in any answer, and no file left behind."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from tests.api.hostile_media import image_cases, video_cases

IMAGES = image_cases()


def check(resp, expected: tuple[int, str | None], data: bytes) -> None:
    status, slug = expected
    assert resp.status_code == status, (resp.status_code, resp.text[:300])
    if slug:
        assert resp.headers["content-type"] == "application/problem+json"
        assert resp.json()["type"] == f"/problems/{slug}"
        assert set(resp.json()) == {"type", "title", "status", "detail"}
        if len(data) > 64:
            assert data[-64:] not in resp.content  # a refusal never echoes the input


@pytest.mark.parametrize("case", IMAGES, ids=[c[0] for c in IMAGES])
@pytest.mark.parametrize("route", ["/v1/redact", "/v1/analyze"])
def test_image_case(client, case, route):
    _, data, kind, expected = case
    resp = client.post(route, content=data, headers={"content-type": kind})
    check(resp, expected, data)
    assert client.get("/healthz").status_code == 200
    if route == "/v1/redact" and resp.status_code == 200:
        out = Image.open(io.BytesIO(resp.content))
        assert getattr(out, "n_frames", 1) == 1  # animations: the first frame only, as a still
        assert not out.info.get("icc_profile") and "exif" not in out.info
        assert b"secret-payload" not in resp.content and b"XML:com.adobe.xmp" not in resp.content


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    return video_cases(tmp_path_factory.mktemp("hostile-video"))


def test_video_cases_sync_and_as_jobs(client, videos, settings):
    for name, data, kind, expected in videos:
        check(client.post("/v1/redact", content=data, headers={"content-type": kind}), expected, data)
        job = client.post("/v1/jobs", content=data, headers={"content-type": kind})
        if job.status_code != 202:  # refused up front, as the synchronous route refuses it
            check(job, expected, data)
        else:  # or accepted, then finished as the synchronous route answered
            job_id = job.json()["id"]
            deadline = time.time() + 60
            while (state := client.get(f"/v1/jobs/{job_id}").json())["status"] in ("queued", "running"):
                assert time.time() < deadline, name
                time.sleep(0.1)
            if expected[0] == 200:
                assert state["status"] == "succeeded", (name, state)
            else:
                assert state["status"] == "failed" and state["error"]["type"] == f"/problems/{expected[1]}"
            assert client.get(f"/v1/jobs/{job_id}/result").status_code in (200, 409)
            assert client.delete(f"/v1/jobs/{job_id}").status_code == 204
        assert client.get("/healthz").status_code == 200, name
    left = [p.name for p in settings.jobs_dir.iterdir() if p.name != "idempotency"]
    assert left == [], left  # refused uploads and finished jobs leave nothing behind




@pytest.mark.parametrize(("name", "request_kwargs", "expected"), [
    ("a hundred form fields", {"data": {f"f{i}": "1" for i in range(100)}}, (422, "invalid-options")),
    ("two files", {"files": [("file", ("a.jpg", b"\xff\xd8\xff")), ("file", ("b.jpg", b"\xff\xd8\xff"))]},
     (422, "invalid-options")),
    ("a 1.5 MB option field", {"data": {"regions": "1" * 1_500_000}}, (422, "invalid-options")),
    ("a path-traversal file name", {"name": "../../../../etc/passwd"}, (200, None)),
    ("a file name of 10 000 characters", {"name": "a" * 10_000 + ".jpg"}, (422, "invalid-options")),
])
def test_multipart_cases(client, settings, name, request_kwargs, expected):
    jpeg = next(c[1] for c in IMAGES if c[0] == "jpeg sent as octet-stream")
    files = request_kwargs.get("files") or {"file": (request_kwargs.get("name", "x.jpg"), jpeg)}
    resp = client.post("/v1/redact", files=files, data=request_kwargs.get("data"))
    check(resp, expected, jpeg)
    assert not list(settings.jobs_dir.parent.glob("passwd*"))


@pytest.mark.parametrize("route", ["/v1/redact", "/v1/analyze", "/v1/jobs"])
@pytest.mark.parametrize("body", [b"--x\r\nContent-Disposition: form-data\r\n\r\nzz",
                                  b"--7c51\r\nNone--7c51--\r\n"])  # the second found by schemathesis
def test_a_malformed_multipart_body_is_refused(client, route, body):
    resp = client.post(route, content=body, headers={"content-type": "multipart/form-data; boundary=7c51"})
    check(resp, (422, "invalid-options"), b"")


def test_limit_errors_name_the_limit_not_the_value_sent(client, settings):
    from tests.api.hostile_media import png_declaring

    big = b"\xff\xd8\xff" + b"\0" * (settings.max_upload_bytes + 12_345)
    body = client.post("/v1/redact", content=big, headers={"content-type": "image/jpeg"}).json()
    assert f"{settings.max_upload_bytes:,}" in body["detail"] and str(len(big)) not in body["detail"]
    assert f"{len(big):,}" not in body["detail"]
    body = client.post("/v1/redact", content=png_declaring(5000, 3000), headers={"content-type": "image/png"}
                       ).json()
    assert f"{settings.max_pixels:,}" in body["detail"] and "VEIL_MAX_PIXELS" in body["detail"]
    assert "15,000,000" not in body["detail"] and "5000" not in body["detail"]
