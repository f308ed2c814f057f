"""What the app holds between requests: settings, loaded models, readiness and a concurrency cap."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

import anyio
import numpy as np

from service.api.replay import ReplayCache
from service.config import Settings
from service.core.options import Options
from service.core.pipeline import redact_image
from service.errors import BusyError, ModelError, RequestTimeoutError, VeilError
from service.inference.registry import ModelSet
from service.jobs.queue import Executor, make_executor

T = TypeVar("T")


@dataclass
class Runtime:
    settings: Settings
    models: ModelSet
    jobs: Executor | None = None
    ready: bool = False
    replays: ReplayCache = field(init=False)
    _slots: threading.BoundedSemaphore = field(init=False)
    _lock: threading.Lock = field(init=False)
    _admitted: int = field(init=False)
    _seconds_per_request: float = field(init=False)

    def __post_init__(self) -> None:
        self._slots = threading.BoundedSemaphore(self.settings.max_concurrency)
        self._lock = threading.Lock()
        self._admitted = 0
        self._seconds_per_request = 1.0
        self.replays = ReplayCache(self.settings.idempotency_ttl_seconds, self.settings.idempotency_max_bytes)

    @contextmanager
    def admitted(self) -> Iterator[None]:
        """Hold a place among the requests being processed or waiting (``max_concurrency`` +
        ``max_queue``), from before the upload is read to the answer; beyond that, ``busy`` at once with
        an estimate of when a place frees up. Bounds the memory held by uploads."""
        limit = self.settings.max_concurrency + self.settings.max_queue
        with self._lock:
            if self._admitted >= limit:
                waits = (self._admitted - self.settings.max_concurrency + 1) / self.settings.max_concurrency
                raise BusyError(retry_after=max(1, math.ceil(waits * self._seconds_per_request)))
            self._admitted += 1
        try:
            yield
        finally:
            with self._lock:
                self._admitted -= 1

    async def answer(self, handler: Callable[[Callable[[float], None]], Awaitable[T]]) -> T:
        """Admit a request and answer it within ``request_timeout_seconds`` (reading the upload, waiting
        and processing), else 504. ``handler`` gets a progress callback that stops a short video's
        processing at its next frame once the time is up; work that cannot stop is abandoned (its result
        dropped) and keeps its slot until it ends, so later requests still see the load."""
        limit = self.settings.request_timeout_seconds
        deadline = time.monotonic() + limit

        def check(_: float) -> None:
            if time.monotonic() > deadline:
                raise RequestTimeoutError()

        with self.admitted():
            try:
                with anyio.fail_after(limit):
                    return await handler(check)
            except TimeoutError:
                raise RequestTimeoutError() from None

    async def run(self, fn: Callable[..., T], *args) -> T:
        """``guarded(fn, *args)`` in a worker thread that a timed-out request may abandon."""
        return await anyio.to_thread.run_sync(partial(self.guarded, fn, *args), abandon_on_cancel=True)

    def guarded(self, fn: Callable[..., T], *args) -> T:
        """Run CPU-bound work under the concurrency cap; unexpected failures become ModelError."""
        if not self._slots.acquire(timeout=self.settings.max_wait_seconds):
            raise BusyError(retry_after=max(1, math.ceil(self._seconds_per_request)))
        start = time.monotonic()
        try:
            return fn(*args)
        except VeilError:
            raise
        except Exception as exc:
            raise ModelError() from exc
        finally:
            self._slots.release()
            with self._lock:  # a moving average of the service time, for Retry-After
                self._seconds_per_request += 0.2 * (time.monotonic() - start - self._seconds_per_request)

    def warm_up(self) -> None:
        """One pass per backend on a synthetic frame so the first request is not the slow one."""
        frame = np.full((360, 640, 3), 127, np.uint8)
        for backend in self.models.backends:
            redact_image(self.models, frame, Options(backend=backend))
        self.ready = True


def start_runtime(settings: Settings) -> Runtime:
    models = settings.load_models()
    runtime = Runtime(settings, models, make_executor(settings, models))
    runtime.warm_up()
    return runtime
