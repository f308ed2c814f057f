"""Per-stage wall-clock timing that the pipeline can report to a benchmark (no-op by default)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from contextlib import contextmanager


class StageTimer:
    """Busy seconds per stage name, summed over every thread that reports to it (a still image's face
    and plate branches run side by side, so their stages overlap in wall time)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()

    @contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            with self._lock:
                self.seconds[name] += time.perf_counter() - start


class _NoTimer(StageTimer):
    @contextmanager
    def stage(self, name: str):
        yield


NO_TIMER = _NoTimer()
