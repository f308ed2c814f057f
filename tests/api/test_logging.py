import logging
import re

from tests.conftest import FIXTURES


def test_logs_carry_no_detection_data_or_client_details(client, caplog):
    data = (FIXTURES / "street_faces_809.jpg").read_bytes()
    caplog.set_level(logging.DEBUG)
    resp = client.post("/v1/redact?face_threshold=0.3", files={"file": ("secret-name-4711.jpg", data)},
                       headers={"x-request-id": "req-12345678"})
    assert resp.status_code == 200
    analyzed = client.post("/v1/analyze", content=data, headers={"content-type": "image/jpeg"}).json()
    text = "\n".join(r.getMessage() for r in caplog.records)
    access = [r.getMessage() for r in caplog.records if r.name == "veil.access"]
    assert any("request_id=req-12345678" in a and "route=/v1/redact" in a and "status=200" in a
               for a in access)
    assert "secret-name-4711" not in text and "testclient" not in text
    for region in analyzed["regions"]:
        assert str(region["score"]) not in text
        assert f"{region['box'][0]}, {region['box'][1]}" not in text
    # only the fields we allow: nothing that looks like a count, a score or coordinates
    for line in access:
        keys = set(re.findall(r"(\w+)=", line))
        assert keys == {"request_id", "method", "route", "status", "duration_ms", "size"}
