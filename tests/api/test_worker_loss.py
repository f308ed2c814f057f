"""A worker killed mid-job (real redis-server, real ``veil worker``): the job fails, its files go."""

import signal
import time

from fastapi.testclient import TestClient

from service.api.app import create_app
from tests.api.conftest import scale_out
from tests.conftest import make_clip


def _poll(client, job_id, until, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        body = client.get(f"/v1/jobs/{job_id}").json()
        if until(body):
            return body
        time.sleep(0.1)
    raise AssertionError(f"job never reached the expected state: {body}")


def test_a_job_whose_worker_dies_fails_cleanly_and_keeps_no_input(settings, redis_url, tmp_path):
    jobs_dir = tmp_path / "shared-jobs"
    clip = make_clip(tmp_path / "long.mp4", frames=900, size=(320, 240))
    s, worker = scale_out(settings, redis_url, jobs_dir, lease=2.0)
    try:
        with TestClient(create_app(s)) as c:
            job_id = c.post("/v1/jobs", files={"file": ("c.mp4", clip.read_bytes())},
                            data={"profile": "thorough"}).json()["id"]
            _poll(c, job_id, lambda b: b["status"] == "running" and b["progress"] > 0)
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            body = _poll(c, job_id, lambda b: b["status"] != "running", timeout=30)
            assert body["status"] == "failed" and body["error"]["type"] == "/problems/worker-lost", body
            assert not (jobs_dir / job_id / "input").exists()
            assert not (jobs_dir / job_id / "result").exists()
            assert c.get(f"/v1/jobs/{job_id}/result").status_code == 409
            assert "veil_jobs_queued 0.0" in c.get("/metrics").text
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
