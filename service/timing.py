"""Per-stage wall-clock timing that the pipeline can report to a benchmark (no-op by default)."""

from __future__ import annotations

import time
from collections import defaultdict
from contextlib import contextmanager


class StageTimer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    @contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - start


class _NoTimer(StageTimer):
    @contextmanager
    def stage(self, name: str):
        yield


NO_TIMER = _NoTimer()
