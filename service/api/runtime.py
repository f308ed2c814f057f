"""What the app holds between requests: settings, loaded models, readiness and a concurrency cap."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from service.api.replay import ReplayCache
from service.config import Settings
from service.core.options import Options
from service.core.pipeline import redact_image
from service.errors import BusyError, ModelError, VeilError
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

    def __post_init__(self) -> None:
        self._slots = threading.BoundedSemaphore(self.settings.max_concurrency)
        self.replays = ReplayCache(self.settings.idempotency_ttl_seconds, self.settings.idempotency_max_bytes)

    def guarded(self, fn: Callable[..., T], *args) -> T:
        """Run CPU-bound work under the concurrency cap; unexpected failures become ModelError."""
        if not self._slots.acquire(timeout=30):
            raise BusyError()
        try:
            return fn(*args)
        except VeilError:
            raise
        except Exception as exc:
            raise ModelError() from exc
        finally:
            self._slots.release()

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
