"""Job executors by name: ``local`` (in-process pool, the embedded default) or ``redis`` (RQ workers).

In scale-out mode the API enqueues job ids on Redis; ``veil worker`` processes share the job
directory (a volume) with the API, load the models once and run jobs without forking.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from service.config import Settings
from service.inference.registry import ModelSet
from service.jobs.runner import EmbeddedExecutor, run_job
from service.jobs.store import JobStore

QUEUE_NAME = "veil-video"
_WORKER: dict = {}


class Executor(Protocol):
    store: JobStore

    def submit(self, job_id: str) -> None: ...

    def close(self) -> None: ...


class RedisExecutor:
    def __init__(self, store: JobStore, _models: ModelSet | None, settings: Settings) -> None:
        from redis import Redis
        from rq import Queue

        self.store = store
        self.redis = Redis.from_url(settings.redis_url)
        self.redis.ping()  # fail at start-up, not at the first upload
        self.queue = Queue(QUEUE_NAME, connection=self.redis)
        self.timeout = int(settings.max_video_seconds * 20) + 600

    def submit(self, job_id: str) -> None:
        self.queue.enqueue(run_queued_job, job_id, job_timeout=self.timeout, result_ttl=0,
                           failure_ttl=3600)

    def close(self) -> None:
        self.redis.close()


def run_queued_job(job_id: str) -> None:
    """Entry point RQ calls inside ``veil worker`` (models are loaded there once)."""
    run_job(_WORKER["store"], _WORKER["models"], _WORKER["settings"], job_id)


EXECUTORS: dict[str, Callable[[JobStore, ModelSet | None, Settings], Executor]] = {
    "local": EmbeddedExecutor,
    "redis": RedisExecutor,
}


def make_executor(settings: Settings, models: ModelSet | None) -> Executor:
    store = JobStore(settings.jobs_dir, settings.job_ttl_seconds)
    if settings.queue == "local":
        store.fail_interrupted()  # only the embedded mode owns every job it finds
    return EXECUTORS[settings.queue](store, models, settings)


def work(settings: Settings, models: ModelSet, burst: bool = False) -> None:
    """Run an RQ worker in this process (no fork per job: the loaded models are reused)."""
    from redis import Redis
    from rq import Queue, SimpleWorker

    _WORKER.update(store=JobStore(settings.jobs_dir, settings.job_ttl_seconds), models=models,
                   settings=settings)
    redis = Redis.from_url(settings.redis_url)
    worker = SimpleWorker([Queue(QUEUE_NAME, connection=redis)], connection=redis)
    worker.work(burst=burst, logging_level="WARNING")
