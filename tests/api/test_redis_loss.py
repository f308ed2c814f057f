"""Redis gone mid-job (real redis-server, real ``veil worker``): the job never reports success, its files
go, the API answers 503 queue-unavailable for jobs and keeps serving images, and recovers with Redis."""

import signal
import time

from fastapi.testclient import TestClient

from service.api.app import create_app
from tests.api.conftest import scale_out, start_redis
from tests.conftest import free_port, gradient, jpeg_bytes, make_clip


def _until(check, timeout=60):
    deadline = time.time() + timeout
    while not check():
        assert time.time() < deadline, "condition never met"
        time.sleep(0.1)


def test_redis_lost_mid_job_fails_closed_and_the_api_recovers(settings, tmp_path):
    port = free_port()
    redis, url = start_redis(tmp_path, port)
    jobs_dir = tmp_path / "shared-jobs"
    clip = make_clip(tmp_path / "long.mp4", frames=900, size=(320, 240))
    s, worker = scale_out(settings, url, jobs_dir, lease=2.0, quiet=True)
    try:
        with TestClient(create_app(s)) as c:
            job_id = c.post("/v1/jobs", files={"file": ("c.mp4", clip.read_bytes())},
                            data={"profile": "thorough"}).json()["id"]
            _until(lambda: c.get(f"/v1/jobs/{job_id}").json()["progress"] > 0)
            redis.send_signal(signal.SIGKILL)
            redis.wait(10)

            status = c.get(f"/v1/jobs/{job_id}")
            assert status.status_code == 503 and status.json()["type"] == "/problems/queue-unavailable"
            assert status.headers["retry-after"]
            refused = c.post("/v1/jobs", content=clip.read_bytes(), headers={"content-type": "video/mp4"})
            assert refused.status_code == 503 and refused.json()["type"] == "/problems/queue-unavailable"
            image = c.post("/v1/redact", content=jpeg_bytes(gradient()),
                           headers={"content-type": "image/jpeg"})
            assert image.status_code == 200  # still images never needed Redis

            # the worker stops the job at its next frame: no input, no result, nothing else
            _until(lambda: not (jobs_dir / job_id / "input").exists())
            time.sleep(2)
            assert not (jobs_dir / job_id / "result").exists()
            assert sorted(p.name for p in jobs_dir.iterdir() if p.name != "idempotency") == [job_id]
            assert not any((jobs_dir / job_id).iterdir())

            redis, _ = start_redis(tmp_path, port)  # back, empty (no persistence): the job is unknown
            assert c.get(f"/v1/jobs/{job_id}").status_code == 404
            again = c.post("/v1/jobs", content=make_clip(tmp_path / "short.mp4", frames=10).read_bytes(),
                           headers={"content-type": "video/mp4"})
            assert again.status_code == 202
    finally:
        for proc in (worker, redis):
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
