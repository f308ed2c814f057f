import io
import json

import numpy as np
import pytest
from PIL import Image

from tests.conftest import FIXTURES, gradient, jpeg_bytes, png_bytes

PNG = png_bytes(Image.fromarray(gradient(120, 160)))


def image_of(resp) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(resp.content)).convert("RGB"))


def post(client, data=PNG, **fields):
    files = {"file": ("anything.png", data, "application/octet-stream")}
    return client.post("/v1/redact", files=files, data={k: str(v) for k, v in fields.items()})


def test_multipart_region_fill_changes_the_region_and_nothing_else(client):
    resp = post(client, classes="faces", mode="fill", colour="#102030",
                regions=json.dumps([[10, 10, 50, 40]]), dilation_px=0, dilation_pct=0)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "image/png"
    assert resp.headers["cache-control"] == "no-store"
    out, src = image_of(resp), gradient(120, 160)
    assert np.all(out[10:40, 10:50] == (16, 32, 48))
    keep = np.ones(src.shape[:2], bool)
    keep[10:40, 10:50] = False
    assert np.array_equal(out[keep], src[keep])


def test_raw_body_with_query_options(client):
    resp = client.post("/v1/redact?classes=faces&mode=pixelate&regions=[[0,0,64,64]]", content=PNG,
                       headers={"content-type": "image/png"})
    assert resp.status_code == 200
    out = image_of(resp)
    assert out.shape == (120, 160, 3)
    assert not np.array_equal(out[:64, :64], gradient(120, 160)[:64, :64])


def test_ignore_keeps_pixels_inside_a_region(client):
    resp = post(client, classes="faces", mode="fill", regions="[[0,0,100,100]]", ignore="[[0,0,50,100]]")
    out, src = image_of(resp), gradient(120, 160)
    assert np.array_equal(out[:100, :50], src[:100, :50])
    assert np.all(out[:100, 60:100] == 0)


def test_polygon_region_and_mask_mode(client):
    resp = post(client, classes="faces", mode="mask", regions="[[[20,20],[100,20],[60,90]]]",
                dilation_px=0, dilation_pct=0)
    assert resp.headers["content-type"] == "image/png"
    mask = np.asarray(Image.open(io.BytesIO(resp.content)))
    assert mask.shape == (120, 160) and set(np.unique(mask)) <= {0, 255}
    assert mask[40, 60] == 255 and mask[110, 150] == 0


@pytest.mark.parametrize("backend", ["unet", "deeplabv3plus"])
@pytest.mark.parametrize("mode", ["blur", "pixelate", "fill"])
def test_every_backend_and_mode_on_a_photo_with_faces(client, backend, mode):
    data = (FIXTURES / "street_faces_785.jpg").read_bytes()
    resp = post(client, data, backend=backend, mode=mode, feather=3, face_threshold=0.3,
                plate_threshold=0.9, dilation_px=1, dilation_pct=5, quality=80)
    assert resp.status_code == 200 and resp.headers["content-type"] == "image/jpeg"
    src = np.asarray(Image.open(FIXTURES / "street_faces_785.jpg").convert("RGB")).astype(int)
    out = image_of(resp).astype(int)
    face = (slice(100, 155), slice(170, 205))  # inside the annotated face box
    assert np.abs(out[face] - src[face]).mean() > 8


def test_format_conversion(client):
    resp = post(client, jpeg_bytes(gradient()), classes="faces", format="webp", quality=70)
    assert resp.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(resp.content)).format == "WEBP"


def test_analyze_returns_regions_for_review(client):
    data = (FIXTURES / "street_faces_809.jpg").read_bytes()
    resp = client.post("/v1/analyze?classes=faces", content=data, headers={"content-type": "image/jpeg"})
    assert resp.status_code == 200 and resp.headers["cache-control"] == "no-store"
    body = resp.json()
    assert (body["width"], body["height"]) == (400, 352)
    faces = [r for r in body["regions"] if r["class"] == "faces"]
    assert len(faces) >= 3
    assert all(len(r["box"]) == 4 and len(r["polygon"]) >= 3 and 0 < r["score"] <= 1 for r in faces)


def test_health_readiness_and_docs(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["backends"] == ["deeplabv3plus", "unet"]
    from service.inference.devices import cuda_available

    expected = ("cuda", "torch") if cuda_available() else ("cpu", "onnx")  # what device=auto resolves to
    assert (ready.json()["device"], ready.json()["engine"]) == expected
    precision = ready.json()["precision"]  # every model, as served on this CPU
    assert {"face-detector", "plate-verifier", "plates-unet", "faces-deeplabv3plus"} <= set(precision)
    assert set(precision.values()) <= {"int8", "fp32", "fp16"}
    assert "/v1/redact" in client.get("/openapi.json").json()["paths"]
    assert client.get("/docs").status_code == 200
