"""Faults injected into the models and the video path: the caller never gets original pixels, a job
never reports success with a partial result, and nothing is left on disk."""

from __future__ import annotations

import errno
import time

import numpy as np
import pytest

from service.errors import ModelError
from service.inference.engines import checked
from tests.conftest import gradient, jpeg_bytes, make_clip

JPEG = jpeg_bytes(gradient(120, 160))

FAULTS = {
    "nan": lambda outs: [np.full_like(o, np.nan) for o in outs],
    "empty": lambda outs: [o[:0] for o in outs],
    "raise": None,
}


def _engines(runtime) -> dict:
    """The engines every still image runs through, whatever it shows."""
    return {"face detector": runtime.models.face_detector.engine,
            "face finder": runtime.models.face_finder.engine,
            "plate finder": runtime.models.backends["unet"].plates.engine}


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("model", ["face detector", "face finder", "plate finder"])
def test_a_faulty_model_fails_the_request_closed(client, monkeypatch, model, fault):
    engine = _engines(client.app.state.runtime)[model]
    real, calls = engine.session.run, []

    def faulty(names, feeds):
        calls.append(1)
        if FAULTS[fault] is None:
            raise RuntimeError("injected at 12,34")
        return FAULTS[fault](real(names, feeds))

    monkeypatch.setattr(engine.session, "run", faulty)
    for route in ("/v1/redact", "/v1/analyze"):
        resp = client.post(route, content=JPEG, headers={"content-type": "image/jpeg"})
        assert resp.status_code == 500 and resp.json()["type"] == "/problems/model-failure", resp.text
        assert b"\xff\xd8" not in resp.content and b"12,34" not in resp.content
    assert calls, "the fault was never reached"


def test_outputs_are_checked_for_every_model_kind():
    good = [np.zeros((2, 1, 8, 8), np.float32)]
    assert checked(good, 2) is good
    for bad in ([np.full((2, 1, 8, 8), np.nan, np.float32)], [np.zeros((1, 1, 8, 8), np.float32)], [],
                [np.float32(1.0)]):
        with pytest.raises(ModelError):
            checked(bad, 2)


def _wait(client, job_id: str) -> dict:
    deadline = time.time() + 60
    while (state := client.get(f"/v1/jobs/{job_id}").json())["status"] in ("queued", "running"):
        assert time.time() < deadline
        time.sleep(0.1)
    return state


def _left(settings) -> list[str]:
    return sorted(p.name for d in settings.jobs_dir.iterdir() if d.name != "idempotency"
                  for p in d.iterdir() if p.name != "job.json")


def test_a_model_failing_midway_through_a_video_job_fails_it_and_keeps_nothing(
        client, settings, monkeypatch, tmp_path):
    engine = client.app.state.runtime.models.face_detector.engine
    real, seen = engine.session.run, []

    def fails_later(names, feeds):
        seen.append(1)
        if len(seen) > 5:
            raise RuntimeError("injected")
        return real(names, feeds)

    monkeypatch.setattr(engine.session, "run", fails_later)
    clip = make_clip(tmp_path / "c.mp4", frames=40).read_bytes()
    job = client.post("/v1/jobs?profile=thorough", content=clip, headers={"content-type": "video/mp4"}).json()
    state = _wait(client, job["id"])
    assert state["status"] == "failed" and state["error"]["type"] == "/problems/model-failure"
    assert client.get(f"/v1/jobs/{job['id']}/result").status_code == 409
    assert _left(settings) == []  # neither the input nor a partial result
    assert len(seen) > 5


def test_the_encoder_failing_or_a_full_disk_fails_the_job_and_keeps_nothing(
        client, settings, monkeypatch, tmp_path):
    import av

    clip = make_clip(tmp_path / "c.mp4", frames=30).read_bytes()
    for fault in (RuntimeError("encoder broke"), OSError(errno.ENOSPC, "No space left on device")):
        real_mux = av.container.OutputContainer.mux
        count = []

        def mux(self, packets, _fault=fault, _real=real_mux, _count=count):
            _count.append(1)
            if len(_count) > 3:
                raise _fault
            return _real(self, packets)

        monkeypatch.setattr(av.container.OutputContainer, "mux", mux)
        job = client.post("/v1/jobs", content=clip, headers={"content-type": "video/mp4"}).json()
        state = _wait(client, job["id"])
        monkeypatch.undo()
        assert len(count) > 3 and state["status"] == "failed", (fault, state)
        assert client.get(f"/v1/jobs/{job['id']}/result").status_code == 409
        assert _left(settings) == []
        sync = client.post("/v1/redact", content=clip, headers={"content-type": "video/mp4"})
        assert sync.status_code == 200  # the fault is gone: the same file goes through again


def test_a_job_past_its_time_limit_fails_and_keeps_nothing(settings, tmp_path):
    from fastapi.testclient import TestClient

    from service.api.app import create_app

    limited = settings.model_copy(update={"job_timeout_seconds": 0.3, "jobs_dir": tmp_path / "jobs"})
    clip = make_clip(tmp_path / "long.mkv", frames=300, container="matroska").read_bytes()  # no frame count
    with TestClient(create_app(limited)) as c:
        job = c.post("/v1/jobs?profile=thorough", content=clip, headers={"content-type": "video/x-matroska"})
        state = _wait(c, job.json()["id"])
        assert state["status"] == "failed" and state["error"]["type"] == "/problems/job-timeout", state
        assert _left(limited) == []


def test_a_request_past_its_time_limit_gets_504_and_keeps_nothing(settings, tmp_path, monkeypatch):
    """A slow image is answered 504 at the limit (its work abandoned); a short video stops at the next
    frame, so its slot and temporary files go at once."""
    import tempfile
    from pathlib import Path

    from fastapi.testclient import TestClient

    from service.api.app import create_app

    def scratch() -> set[str]:
        return {p.name for p in Path(tempfile.gettempdir()).glob("veil-*")}

    limited = settings.model_copy(update={"request_timeout_seconds": 1.0, "max_sync_video_seconds": 30,
                                          "jobs_dir": tmp_path / "jobs"})
    clip = make_clip(tmp_path / "long.mp4", frames=600).read_bytes()
    before = scratch()
    with TestClient(create_app(limited)) as c:
        runtime = c.app.state.runtime
        start = time.monotonic()
        resp = c.post("/v1/redact?profile=thorough", content=clip, headers={"content-type": "video/mp4"})
        assert resp.status_code == 504 and resp.json()["type"] == "/problems/request-timeout", resp.text
        assert time.monotonic() - start < 5
        assert runtime._slots.acquire(timeout=5)  # the video stopped and gave its slot back
        runtime._slots.release()
        assert scratch() == before

        engine = runtime.models.face_detector.engine
        real = engine.session.run

        def slow(names, feeds):
            time.sleep(2.5)
            return real(names, feeds)

        monkeypatch.setattr(engine.session, "run", slow)
        start = time.monotonic()
        resp = c.post("/v1/redact", content=JPEG, headers={"content-type": "image/jpeg"})
        assert resp.status_code == 504 and b"\xff\xd8" not in resp.content
        assert time.monotonic() - start < 2.4
        monkeypatch.undo()
        time.sleep(3)  # the abandoned image finishes; its slot is free again
        assert c.post("/v1/redact", content=JPEG, headers={"content-type": "image/jpeg"}).status_code == 200
