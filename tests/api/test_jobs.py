import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.api.conftest import SECRET
from tests.conftest import clip_facts, gradient, jpeg_bytes, make_clip


def wait(jobs_client, job_id, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        body = jobs_client.get(f"/v1/jobs/{job_id}").json()
        if body["status"] in {"succeeded", "failed"}:
            return body
        time.sleep(0.2)
    raise AssertionError("job did not finish")


@pytest.fixture
def clip(tmp_path):
    return make_clip(tmp_path / "in.mp4", frames=30)


def test_job_lifecycle(jobs_client, clip, tmp_path):
    jobs_dir = jobs_client.app.state.runtime.settings.jobs_dir
    resp = jobs_client.post("/v1/jobs", files={"file": ("c.mp4", clip.read_bytes())},
                       data={"classes": "faces", "regions": "[[10,10,60,60]]", "stride": "2"})
    assert resp.status_code == 202
    job_id = resp.json()["id"]
    assert resp.headers["location"] == f"/v1/jobs/{job_id}" and resp.json()["status"] == "queued"
    body = wait(jobs_client, job_id)
    assert body["status"] == "succeeded" and body["progress"] == 1.0, body
    assert not (jobs_dir / job_id / "input").exists()  # input gone once processed
    result = jobs_client.get(f"/v1/jobs/{job_id}/result")
    assert result.status_code == 200 and result.headers["content-type"] == "video/mp4"
    out = tmp_path / "out.mp4"
    out.write_bytes(result.content)
    a, b = clip_facts(clip), clip_facts(out)
    assert b["frames"] == 30 and b["audio"] == a["audio"]
    again = jobs_client.get(f"/v1/jobs/{job_id}/result")
    assert again.status_code == 410 and again.json()["type"] == "/problems/job-expired"
    assert not (jobs_dir / job_id / "result").exists()
    assert jobs_client.delete(f"/v1/jobs/{job_id}").status_code == 204
    assert jobs_client.get(f"/v1/jobs/{job_id}").status_code == 404


def test_idempotency_key_returns_the_same_job(jobs_client, clip):
    headers = {"content-type": "video/mp4", "idempotency-key": "upload-42"}
    first = jobs_client.post("/v1/jobs?classes=faces", content=clip.read_bytes(), headers=headers).json()
    second = jobs_client.post("/v1/jobs?classes=faces", content=clip.read_bytes(), headers=headers).json()
    assert first["id"] == second["id"]
    wait(jobs_client, first["id"])


def test_a_refused_upload_frees_its_idempotency_key(jobs_client, clip):
    """A job refused before it was queued leaves no key behind: the retry with a good file is a new job."""
    headers = {"content-type": "video/mp4", "idempotency-key": "retry-after-a-bad-file"}
    bad = jobs_client.post("/v1/jobs", content=b"\x00" * 100, headers=headers)
    assert bad.status_code == 415
    good = jobs_client.post("/v1/jobs?classes=faces", content=clip.read_bytes(), headers=headers)
    assert good.status_code == 202
    wait(jobs_client, good.json()["id"])
    runtime = jobs_client.app.state.runtime
    if runtime.settings.queue == "local":
        keys = runtime.settings.jobs_dir / "idempotency"
        assert [p.read_text() for p in keys.iterdir()].count(good.json()["id"]) == 1
        jobs_client.delete(f"/v1/jobs/{good.json()['id']}")
        runtime.jobs.store.sweep()  # keys of deleted jobs go with the next sweep
        assert good.json()["id"] not in [p.read_text() for p in keys.iterdir()]


def test_bad_inputs_are_refused_up_front(jobs_client, clip):
    img = jobs_client.post("/v1/jobs", content=jpeg_bytes(gradient()), headers={"content-type": "video/mp4"})
    assert img.status_code == 415
    cb = jobs_client.post("/v1/jobs", files={"file": ("c.mp4", clip.read_bytes())},
                     data={"callback_url": "http://evil.example/hook"})
    assert cb.status_code == 422 and "callback_url" in cb.json()["detail"]
    assert jobs_client.get("/v1/jobs/0123abcd").status_code == 404
    assert jobs_client.get("/v1/jobs/../etc").status_code == 404


def test_completion_webhook_is_signed(jobs_client, clip):
    got = {}

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            got["body"] = self.rfile.read(int(self.headers["content-length"]))
            got["headers"] = {k.lower(): v for k, v in self.headers.items()}
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.handle_request, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/done"
    job = jobs_client.post("/v1/jobs", files={"file": ("c.mp4", clip.read_bytes())},
                      data={"classes": "faces", "callback_url": url}).json()
    wait(jobs_client, job["id"])
    deadline = time.time() + 10
    while "body" not in got and time.time() < deadline:
        time.sleep(0.1)
    server.server_close()
    h = got["headers"]
    signed = f"{h['webhook-id']}.{h['webhook-timestamp']}.".encode() + got["body"]
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert h["webhook-signature"] == f"v1,{expected}"
    assert json.loads(got["body"])["data"]["status"] == "succeeded"


def test_short_video_synchronously_and_too_long_refused(jobs_client, tmp_path):
    short = make_clip(tmp_path / "s.mp4", frames=20)
    resp = jobs_client.post("/v1/redact?classes=faces&regions=[[0,0,40,40]]", content=short.read_bytes(),
                       headers={"content-type": "video/mp4"})
    assert resp.status_code == 200 and resp.headers["content-type"] == "video/mp4"
    longer = make_clip(tmp_path / "l.mp4", frames=120)  # 4 s > max_sync_video_seconds = 3
    resp = jobs_client.post("/v1/redact", content=longer.read_bytes(), headers={"content-type": "video/mp4"})
    assert resp.status_code == 413


def test_job_files_are_private_to_the_service_user(jobs_client, clip):
    import stat

    jobs_dir = jobs_client.app.state.runtime.settings.jobs_dir
    job_id = jobs_client.post("/v1/jobs", files={"file": ("c.mp4", clip.read_bytes())}).json()["id"]
    wait(jobs_client, job_id)
    d = jobs_dir / job_id
    assert stat.S_IMODE(d.stat().st_mode) == 0o700
    for f in d.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) & 0o077 == 0, f.name  # no access for group or others
    jobs_client.delete(f"/v1/jobs/{job_id}")
