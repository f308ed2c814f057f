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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from service.errors import QueueUnavailableError

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


def private_file(path: Path):
    """``path`` opened for writing, created readable and writable by this user only (0600)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")


class FileRecords:
    """Job records as ``<root>/<id>/job.json`` (the embedded default: one process owns them)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "idempotency").mkdir(parents=True, exist_ok=True)

    def read(self, job_id: str) -> dict | None:
        try:
            return json.loads((self.root / job_id / "job.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def write(self, job_id: str, record: dict) -> None:
        tmp = self.root / job_id / "job.json.tmp"
        with private_file(tmp) as f:
            f.write(json.dumps(record).encode())
        os.replace(tmp, self.root / job_id / "job.json")

    def delete(self, job_id: str) -> None:
        pass  # the record lives in the job's directory, removed with it

    def claim_key(self, key: str, job_id: str) -> None:
        (self.root / "idempotency" / key).write_text(job_id)

    def key_owner(self, key: str) -> str | None:
        path = self.root / "idempotency" / key
        return path.read_text() if path.exists() else None

    def drop_key(self, key: str) -> None:
        (self.root / "idempotency" / key).unlink(missing_ok=True)

    def prune_keys(self, exists: Callable[[str], bool]) -> None:
        """Drop the keys whose job is gone (Redis keys expire on their own)."""
        for path in (self.root / "idempotency").iterdir():
            try:
                if not exists(path.read_text()):
                    path.unlink(missing_ok=True)
            except FileNotFoundError:
                pass  # dropped meanwhile


@contextmanager
def reachable() -> Iterator[None]:
    """Redis failures (connection lost, timeout) become ``QueueUnavailableError`` (503, retry)."""
    from redis.exceptions import RedisError

    try:
        yield
    except RedisError as exc:
        raise QueueUnavailableError() from exc


class RedisRecords:
    """Job records in Redis (scale-out: every API replica and worker reads the same state). Keys expire
    on their own a while after the job's result would have. Every method raises
    ``QueueUnavailableError`` while Redis cannot be reached."""

    PREFIX = "veil:job:"
    KEYS = "veil:idempotency:"

    def __init__(self, redis, keep_seconds: float) -> None:
        self.redis = redis
        self.keep = max(1, int(keep_seconds))

    def read(self, job_id: str) -> dict | None:
        with reachable():
            raw = self.redis.get(self.PREFIX + job_id)
        return json.loads(raw) if raw else None

    def write(self, job_id: str, record: dict) -> None:
        with reachable():
            self.redis.set(self.PREFIX + job_id, json.dumps(record), ex=self.keep)

    def delete(self, job_id: str) -> None:
        with reachable():
            self.redis.delete(self.PREFIX + job_id)

    def claim_key(self, key: str, job_id: str) -> None:
        with reachable():
            self.redis.set(self.KEYS + key, job_id, ex=self.keep)

    def key_owner(self, key: str) -> str | None:
        with reachable():
            raw = self.redis.get(self.KEYS + key)
        return raw.decode() if isinstance(raw, bytes) else raw

    def drop_key(self, key: str) -> None:
        with reachable():
            self.redis.delete(self.KEYS + key)

    def prune_keys(self, exists: Callable[[str], bool]) -> None:
        pass  # they expire with the job records


class JobStore:
    """Job records (files or Redis) and job files (input, result) under ``root``, a shared volume in
    scale-out."""

    def __init__(self, root: Path, ttl_seconds: float, records: FileRecords | RedisRecords | None = None
                 ) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.ttl = ttl_seconds
        self.records = records or FileRecords(self.root)
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
        if not idem_key:
            return None
        owner = self.records.key_owner(_key_name(idem_key))
        if owner is None:
            return None
        try:
            return self.get(owner)
        except KeyError:
            self.records.drop_key(_key_name(idem_key))
            return None

    def create(self, idem_key: str | None = None) -> Job:
        """A new job directory (status ``queued``); the caller writes the input, then the options."""
        with self._lock:
            job = Job(uuid.uuid4().hex)
            self.dir(job.id).mkdir(mode=0o700)  # the job's files: this user only
            try:
                self._write(job)
                if idem_key:
                    self.records.claim_key(_key_name(idem_key), job.id)
            except BaseException:
                shutil.rmtree(self.dir(job.id), ignore_errors=True)
                raise
            return job

    def release(self, idem_key: str | None) -> None:
        """Forget an Idempotency-Key (its job was refused before it was queued)."""
        if idem_key:
            self.records.drop_key(_key_name(idem_key))

    def get(self, job_id: str) -> Job:
        self.dir(job_id)  # refuses ids that are not ours before any lookup
        record = self.records.read(job_id)
        if record is None:
            raise KeyError(job_id)
        job = Job(**record)
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
        if not self.dir(job.id).exists():
            return  # deleted meanwhile (cancelled): do not resurrect it
        self.records.write(job.id, asdict(job))

    def delete(self, job_id: str) -> None:
        shutil.rmtree(self.dir(job_id), ignore_errors=True)
        self.records.delete(job_id)

    def _jobs(self) -> Iterator[tuple[str, Job | None]]:
        """Every job directory with its record (None where the record is missing or unreadable)."""
        for d in self.root.iterdir():
            if d.name == "idempotency" or not d.is_dir():
                continue
            try:
                yield d.name, self.get(d.name)
            except KeyError:
                yield d.name, None

    def fail(self, job: Job, slug: str, title: str, detail: str) -> None:
        """Mark an unfinished job failed and remove its input and any partial result."""
        self.input_path(job.id).unlink(missing_ok=True)
        self.result_path(job.id).unlink(missing_ok=True)
        self.update(job, status="failed", finished=time.time(),
                    error={"type": f"/problems/{slug}", "title": title, "detail": detail})

    def fail_interrupted(self) -> None:
        """At start-up: jobs a previous process left queued or running fail (their input is removed)."""
        for name, job in self._jobs():
            if job is None:
                self.delete(name)
            elif job.status in {"queued", "running"}:
                self.fail(job, "interrupted", "Interrupted", "Resubmit.")

    def reap(self, alive: Callable[[Job], bool], grace_seconds: float) -> int:
        """Fail the unfinished jobs that ``alive`` says nobody is working on or waiting to (a worker
        died); directories without a record older than the grace period go. Returns how many failed."""
        now, failed = time.time(), 0
        for name, job in self._jobs():
            if job is None:
                if now - self.dir(name).stat().st_mtime > grace_seconds:
                    self.delete(name)
            elif job.status in {"queued", "running"} and now - (job.started or job.created) > grace_seconds \
                    and not alive(job):
                self.fail(job, "worker-lost", "Worker lost", "The worker running this job stopped. Resubmit.")
                failed += 1
        return failed

    def sweep(self) -> None:
        """Expire old results and remove job directories long past their TTL."""
        now = time.time()
        for _, job in self._jobs():
            if job and now - job.created > 2 * self.ttl and job.status in {"succeeded", "failed", "expired"}:
                self.delete(job.id)
        self.records.prune_keys(self._exists)

    def _exists(self, job_id: str) -> bool:
        try:
            return self.dir(job_id).exists()
        except KeyError:
            return False


def _key_name(key: str) -> str:
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()
