"""Running one video job, and the embedded in-process executor that runs them by default."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from service.config import Settings
from service.core.params import to_all_options
from service.core.video_pipeline import output_type, redact_video
from service.errors import JobTimeoutError, ModelError, VeilError
from service.inference.registry import ModelSet
from service.jobs.store import JobStore
from service.jobs.webhooks import notify


class Cancelled(Exception):
    """The job's directory disappeared (DELETE) while it ran."""


def run_job(store: JobStore, models: ModelSet, settings: Settings, job_id: str) -> str | None:
    """Execute a queued job; input deleted when done, result kept until download or TTL. Returns its
    outcome (``succeeded``/``failed``), None if it was cancelled."""
    try:
        job = store.get(job_id)
    except KeyError:
        return None  # cancelled before it started
    if job.status != "queued":
        return None  # already failed by the reaper, or run elsewhere
    store.update(job, status="running", started=time.time())
    src, dst = store.input_path(job_id), store.result_path(job_id)
    last = [0.0]
    deadline = time.monotonic() + settings.job_timeout()

    def progress(p: float) -> None:
        if not store.dir(job_id).exists():
            raise Cancelled()
        if time.monotonic() > deadline:
            raise JobTimeoutError()
        if p - last[0] >= 0.01:
            last[0] = p
            store.update(job, progress=p)

    try:
        opts, vopts = to_all_options(job.options, settings.default_backend, settings.video_profile)
        info = redact_video(models, src, dst, opts, vopts, settings.video_limits(), progress)
        media_type, ext = output_type(info)
        outcome = {"status": "succeeded", "progress": 1.0, "media_type": media_type, "extension": ext}
    except Cancelled:
        return None
    except Exception as exc:
        err = exc if isinstance(exc, VeilError) else ModelError()
        outcome = {"status": "failed",
                   "error": {"type": f"/problems/{err.type_slug}", "title": err.title, "detail": err.detail}}
    finally:
        src.unlink(missing_ok=True)  # (redact_video writes dst atomically: a failure leaves none)
    # written after the input is gone: a client that sees the job finished never finds its input
    try:
        store.update(job, finished=time.time(), **outcome)
    except BaseException:
        dst.unlink(missing_ok=True)  # a result nobody can learn of (Redis gone) is not kept
        raise
    if job.callback_url and settings.webhook_secret:
        notify(job.callback_url, settings.webhook_secret.get_secret_value(),
               {"type": "job.completed", "data": job.public()})
    return outcome["status"]


class EmbeddedExecutor:
    """In-process worker pool: one ``serve`` command works with no other service."""

    def __init__(self, store: JobStore, models: ModelSet, settings: Settings) -> None:
        self.store, self.models, self.settings = store, models, settings
        self.pool = ThreadPoolExecutor(max_workers=settings.job_workers, thread_name_prefix="veil-job")
        self.on_finished: Callable[[str], object] | None = None
        self._waiting = 0
        self._lock = threading.Lock()

    def submit(self, job_id: str) -> None:
        with self._lock:
            self._waiting += 1
        self.pool.submit(self._run, job_id)

    def _run(self, job_id: str) -> None:
        with self._lock:
            self._waiting -= 1
        outcome = run_job(self.store, self.models, self.settings, job_id)
        if outcome and self.on_finished:
            self.on_finished(outcome)

    def depth(self) -> int:
        return self._waiting

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
