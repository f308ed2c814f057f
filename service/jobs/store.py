"""Job records and files in a local directory (the embedded default; a shared volume in scale-out).

A job directory holds ``job.json`` (status, progress, timing, public error — never anything the models
saw), the input while it is needed, and the result until it is downloaded or expires.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

STATUSES = ("queued", "running", "succeeded", "failed", "expired")


@dataclass
class Job:
    id: str
    status: str = "queued"
    progress: float = 0.0
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    error: dict | None = None
    media_type: str | None = None
    extension: str | None = None
    options: dict = field(default_factory=dict)
    callback_url: str | None = None

    def eta_seconds(self) -> float | None:
        if self.status != "running" or not self.started or self.progress <= 0.01:
            return None
        elapsed = time.time() - self.started
        return round(elapsed * (1 - self.progress) / self.progress, 1)

    def public(self) -> dict:
        return {"id": self.id, "status": self.status, "progress": round(self.progress, 3),
                "eta_seconds": self.eta_seconds(), "error": self.error}


class JobStore:
    def __init__(self, root: Path, ttl_seconds: float) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "idempotency").mkdir(exist_ok=True)
        self.ttl = ttl_seconds
        self._lock = threading.Lock()

    def dir(self, job_id: str) -> Path:
        if not job_id or not all(c in "0123456789abcdef" for c in job_id):
            raise KeyError(job_id)
        return self.root / job_id

    def input_path(self, job_id: str) -> Path:
        return self.dir(job_id) / "input"

    def result_path(self, job_id: str) -> Path:
        return self.dir(job_id) / "result"

    def find(self, idem_key: str | None) -> Job | None:
        """The job an Idempotency-Key already created, if any."""
        return self._idempotent(idem_key) if idem_key else None

    def create(self, idem_key: str | None = None) -> Job:
        """A new job directory (status ``queued``); the caller writes the input, then the options."""
        with self._lock:
            job = Job(uuid.uuid4().hex)
            self.dir(job.id).mkdir()
            self._write(job)
            if idem_key:
                (self.root / "idempotency" / _key_name(idem_key)).write_text(job.id)
            return job

    def _idempotent(self, key: str) -> Job | None:
        path = self.root / "idempotency" / _key_name(key)
        if not path.exists():
            return None
        try:
            return self.get(path.read_text())
        except KeyError:
            path.unlink(missing_ok=True)
            return None

    def get(self, job_id: str) -> Job:
        path = self.dir(job_id) / "job.json"
        try:
            job = Job(**json.loads(path.read_text()))
        except (FileNotFoundError, json.JSONDecodeError) as exc:
            raise KeyError(job_id) from exc
        if job.status == "succeeded" and job.finished and time.time() - job.finished > self.ttl:
            self.result_path(job_id).unlink(missing_ok=True)
            job.status = "expired"
            self._write(job)
        return job

    def update(self, job: Job, **changes) -> Job:
        for k, v in changes.items():
            setattr(job, k, v)
        self._write(job)
        return job

    def _write(self, job: Job) -> None:
        d = self.dir(job.id)
        if not d.exists():
            return  # deleted meanwhile (cancelled): do not resurrect it
        tmp = d / "job.json.tmp"
        tmp.write_text(json.dumps(asdict(job)))
        os.replace(tmp, d / "job.json")

    def delete(self, job_id: str) -> None:
        shutil.rmtree(self.dir(job_id), ignore_errors=True)

    def _jobs(self) -> Iterator[tuple[str, Job | None]]:
        """Every job directory with its record (None where the record is missing or unreadable)."""
        for d in self.root.iterdir():
            if d.name == "idempotency" or not d.is_dir():
                continue
            try:
                yield d.name, self.get(d.name)
            except KeyError:
                yield d.name, None

    def fail_interrupted(self) -> None:
        """At start-up: jobs a previous process left queued or running fail (their input is removed)."""
        for name, job in self._jobs():
            if job is None:
                self.delete(name)
            elif job.status in {"queued", "running"}:
                self.input_path(job.id).unlink(missing_ok=True)
                self.result_path(job.id).unlink(missing_ok=True)
                self.update(job, status="failed", error={"type": "/problems/interrupted",
                                                         "title": "Interrupted", "detail": "Resubmit."})

    def sweep(self) -> None:
        """Expire old results and remove job directories long past their TTL."""
        now = time.time()
        for _, job in self._jobs():
            if job and now - job.created > 2 * self.ttl and job.status in {"succeeded", "failed", "expired"}:
                self.delete(job.id)


def _key_name(key: str) -> str:
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()
