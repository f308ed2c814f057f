import pytest
from fastapi.testclient import TestClient
from PIL import Image

from service.api.app import create_app
from tests.conftest import gradient, jpeg_bytes, png_bytes

JPEG = jpeg_bytes(gradient(300, 300))


def assert_problem(resp, status: int, slug: str) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert body["type"] == f"/problems/{slug}" and body["status"] == status
    assert set(body) == {"type", "title", "status", "detail"}
    assert JPEG[:200] not in resp.content


def test_unsupported_media(client):
    assert_problem(client.post("/v1/redact", content=b"GIF89a" + b"\0" * 64,
                               headers={"content-type": "image/gif"}), 415, "unsupported-media-type")
    assert_problem(client.post("/v1/redact", content=b"hello", headers={"content-type": "text/plain"}),
                   415, "unsupported-media-type")


def test_too_large_body_and_too_many_pixels(client, settings):
    big = b"\xff\xd8\xff" + b"\0" * (settings.max_upload_bytes + 10)
    assert_problem(client.post("/v1/redact", content=big, headers={"content-type": "image/jpeg"}),
                   413, "payload-too-large")
    huge = png_bytes(Image.new("RGB", (2100, 2000)))
    assert_problem(client.post("/v1/redact", files={"file": ("x", huge)}), 413, "payload-too-large")


def test_undecodable_and_empty(client):
    assert_problem(client.post("/v1/redact", content=JPEG[: len(JPEG) // 2],
                               headers={"content-type": "image/jpeg"}), 422, "undecodable-media")
    assert_problem(client.post("/v1/redact", content=b"", headers={"content-type": "image/jpeg"}),
                   422, "undecodable-media")


@pytest.mark.parametrize("field,value", [
    ("mode", "smear"), ("backend", "fpn"), ("classes", "cats"), ("face_threshold", "2"),
    ("dilation_px", "-1"), ("regions", "[[1,2]]"), ("ignore", "not json"), ("colour", "red"),
    ("format", "gif"), ("quality", "0"), ("unknown_option", "1"),
])
def test_invalid_options_name_the_field_but_not_the_value(client, field, value):
    resp = client.post("/v1/redact", files={"file": ("x.jpg", JPEG)}, data={field: value})
    assert_problem(resp, 422, "invalid-options")
    assert field in resp.json()["detail"] and value not in resp.json()["detail"]


def test_multipart_without_file(client):
    assert_problem(client.post("/v1/redact", data={"mode": "blur"}, files={"other": ("x", b"1")}),
                   422, "invalid-options")


def test_unknown_route_and_method(client):
    assert_problem(client.get("/v1/nothing"), 404, "not-found")
    assert_problem(client.get("/v1/redact"), 405, "method-not-allowed")


def test_not_ready_is_503_and_never_pixels(settings):
    with TestClient(create_app(settings, load=False)) as c:
        assert c.get("/healthz").status_code == 200
        assert_problem(c.get("/readyz"), 503, "not-ready")
        resp = c.post("/v1/redact", content=JPEG, headers={"content-type": "image/jpeg"})
        assert_problem(resp, 503, "not-ready")
        assert resp.headers["retry-after"] == "1"


@pytest.mark.parametrize(("part", "method"), [("plates", "find_many"), ("plate_shapes", "refine")])
def test_inference_failure_fails_closed(client, monkeypatch, part, method):
    runtime = client.app.state.runtime
    backend = runtime.models.backends["unet"]

    def broken(*_a, **_k):
        raise RuntimeError("boom at 12,34")

    monkeypatch.setattr(getattr(backend, part), method, broken)
    resp = client.post("/v1/redact", content=JPEG, headers={"content-type": "image/jpeg"})
    assert_problem(resp, 500, "model-failure")
    assert b"boom" not in resp.content
