"""POST /v1/segment: a prompt in, a mask PNG (or its outlines) at the image's size out; bad prompts are
422 problems naming the field; the outlines go back into /v1/redact as regions."""

import io
import json

import numpy as np
from PIL import Image

from tests.conftest import png_bytes


def scene_png() -> bytes:
    rng = np.random.default_rng(1)
    rgb = (rng.normal(0, 10, (200, 300, 3)) + np.float64([80, 120, 80])).clip(0, 255).astype(np.uint8)
    rgb[60:140, 100:200] = (220, 200, 40)  # a yellow badge
    return png_bytes(Image.fromarray(rgb))


def test_a_box_gives_a_mask_png_at_the_image_size(client):
    resp = client.post("/v1/segment", files={"file": ("s.png", scene_png())},
                       data={"box": "[85, 45, 215, 155]"})
    assert resp.status_code == 200 and resp.headers["content-type"] == "image/png"
    assert resp.headers["cache-control"] == "no-store"
    mask = np.asarray(Image.open(io.BytesIO(resp.content)))
    assert mask.shape == (200, 300) and set(np.unique(mask)) == {0, 255}
    truth = np.zeros((200, 300), bool)
    truth[60:140, 100:200] = True
    assert ((mask > 0) & truth).sum() / ((mask > 0) | truth).sum() > 0.9


def test_outlines_as_json_are_regions_for_redact(client):
    body = scene_png()
    resp = client.post("/v1/segment?points=[[150,100,1]]&format=json", content=body,
                       headers={"content-type": "image/png"})
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/json"
    out = resp.json()
    assert out["width"] == 300 and out["height"] == 200 and out["polygons"] and out["area"] > 5000
    redacted = client.post("/v1/redact", files={"file": ("s.png", body)},
                           data={"classes": "faces", "mode": "fill", "colour": "#ff00ff",
                                 "regions": json.dumps(out["polygons"])})
    rgb = np.asarray(Image.open(io.BytesIO(redacted.content)).convert("RGB"))
    assert (rgb[70:130, 110:190] == (255, 0, 255)).all()  # the badge, filled through the one redaction path
    assert not (rgb[:40] == (255, 0, 255)).all(axis=-1).any()


def test_bad_prompts_are_problems_naming_the_field(client):
    cases = {"box": {"box": "[10, 10]"}, "points": {"points": "[[1, 2]]"}, "kind": {"kind": "logo",
             "box": "[0,0,9,9]"}, "box, points": {}}
    for field, data in cases.items():
        resp = client.post("/v1/segment", files={"file": ("s.png", scene_png())}, data=data)
        assert resp.status_code == 422 and resp.json()["type"] == "/problems/invalid-options", field
        assert field in resp.json()["detail"]
    resp = client.post("/v1/segment?box=[0,0,5,5]", content=b"\x89PNG\r\n\x1a\nbroken",
                       headers={"content-type": "image/png"})
    assert resp.status_code in (415, 422) and resp.headers["content-type"] == "application/problem+json"
