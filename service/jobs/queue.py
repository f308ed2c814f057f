"""Job executors by name: ``local`` (in-process pool, the embedded default) or ``redis`` (RQ workers).

In scale-out mode the API enqueues job ids on Redis (JSON-serialized: nothing a worker unpickles), job
records live in Redis, and ``veil worker`` processes share the job files (a volume) with the API, load
the models once and run jobs without forking. A worker holds a lease on the job it runs, renewed while
it works; a reaper fails the jobs whose lease lapsed (their worker died) and deletes their files.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import suppress
from typing import Protocol

from redis.exceptions import RedisError

from service.config import Settings
from service.inference.registry import ModelSet
from service.jobs.runner import EmbeddedExecutor, run_job
from service.jobs.store import Job, JobStore, RedisRecords, reachable

QUEUE_NAME = "veil-video"
LEASE_PREFIX = "veil:lease:"
_WORKER: dict = {}


class Executor(Protocol):
    store: JobStore
    on_finished: Callable[[str], object] | None

    def submit(self, job_id: str) -> None: ...

    def depth(self) -> int: ...

    def close(self) -> None: ...


def _redis(settings: Settings):
    from redis import Redis

    return Redis.from_url(settings.redis_url)


def _queue(redis):
    from rq import Queue
    from rq.serializers import JSONSerializer

    return Queue(QUEUE_NAME, connection=redis, serializer=JSONSerializer)


def redis_store(settings: Settings, redis) -> JobStore:
    keep = 2 * settings.job_ttl_seconds + settings.max_video_seconds * 20 + 600
    return JobStore(settings.jobs_dir, settings.job_ttl_seconds, RedisRecords(redis, keep))


class RedisExecutor:
    def __init__(self, _store: JobStore, _models: ModelSet | None, settings: Settings) -> None:
        self.redis = _redis(settings)
        self.redis.ping()  # fail at start-up, not at the first upload
        self.store = redis_store(settings, self.redis)
        self.queue = _queue(self.redis)
        self.timeout = int(settings.job_timeout()) + 60  # RQ's hard stop, behind run_job's own
        self.lease = settings.job_lease_seconds
        self.on_finished = None  # outcomes are counted by the workers' own metrics
        self._stop = threading.Event()
        self._reaper = threading.Thread(target=self._reap_forever, name="veil-reaper", daemon=True)
        self._reaper.start()

    def submit(self, job_id: str) -> None:
        with reachable():
            self.queue.enqueue("service.jobs.queue.run_queued_job", job_id, job_id=job_id,
                               job_timeout=self.timeout, result_ttl=0, failure_ttl=3600)

    def depth(self) -> int:
        return self.queue.count

    def alive(self, job: Job) -> bool:
        """A running job is alive while its worker's lease stands; a queued one while RQ holds it."""
        if job.status == "running":
            return bool(self.redis.exists(LEASE_PREFIX + job.id))
        from rq.job import Job as RqJob

        return RqJob.exists(job.id, connection=self.redis)

    def reap(self) -> int:
        return self.store.reap(self.alive, grace_seconds=2 * self.lease)

    def _reap_forever(self) -> None:
        while not self._stop.wait(self.lease):
            try:
                self.reap()
            except Exception:  # Redis away for a moment: try again next round
                continue

    def close(self) -> None:
        self._stop.set()
        self.redis.close()


def run_queued_job(job_id: str) -> None:
    """Entry point RQ calls inside ``veil worker`` (models are loaded there once). The job's lease is
    renewed every third of its length while it runs."""
    redis, lease = _WORKER["redis"], _WORKER["settings"].job_lease_seconds
    done = threading.Event()

    def renew() -> None:
        while True:
            with suppress(RedisError):  # a blip must not end the lease early; a long outage ends the job
                redis.set(LEASE_PREFIX + job_id, "1", ex=max(1, int(lease)))
            if done.wait(lease / 3):
                break

    keeper = threading.Thread(target=renew, name="veil-lease", daemon=True)
    keeper.start()
    try:
        outcome = run_job(_WORKER["store"], _WORKER["models"], _WORKER["settings"], job_id)
        if outcome and _WORKER.get("on_finished"):
            _WORKER["on_finished"](outcome)
    finally:
        done.set()
        keeper.join()
        with suppress(RedisError):  # gone: the lease expires on its own
            redis.delete(LEASE_PREFIX + job_id)


EXECUTORS: dict[str, Callable[[JobStore, ModelSet | None, Settings], Executor]] = {
    "local": EmbeddedExecutor,
    "redis": RedisExecutor,
}


def make_executor(settings: Settings, models: ModelSet | None) -> Executor:
    store = JobStore(settings.jobs_dir, settings.job_ttl_seconds)
    if settings.queue == "local":
        store.fail_interrupted()  # only the embedded mode owns every job it finds
    return EXECUTORS[settings.queue](store, models, settings)


def work(settings: Settings, models: ModelSet, burst: bool = False,
         on_finished: Callable[[str], object] | None = None) -> None:
    """Run an RQ worker in this process (no fork per job: the loaded models are reused)."""
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    redis = _redis(settings)
    _WORKER.update(store=redis_store(settings, redis), models=models, settings=settings, redis=redis,
                   on_finished=on_finished)
    worker = SimpleWorker([_queue(redis)], connection=redis, serializer=JSONSerializer)
    worker.work(burst=burst, logging_level="WARNING")
