"""Bounded hand-over between threads, so decode, inference and encode overlap.

PyAV (FFmpeg) and ONNX Runtime release the GIL while they work, so a decode thread and an encode
thread run beside the model on the main thread. Queues are bounded (memory stays flat); an error in
any stage ends all of them and is raised in the caller: nothing half-done is passed on as success.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

_END = object()
_POLL = 0.1


class Producer:
    """Runs ``items`` (an iterable, e.g. a decoder) in a thread; iterate to receive its items."""

    def __init__(self, items: Iterable[Any], size: int = 8, name: str = "veil-decode") -> None:
        self._queue: queue.Queue[Any] = queue.Queue(size)
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(items,), name=name, daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, items: Iterable[Any]) -> None:
        try:
            for item in items:
                if not self._put(item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            self._error = exc
        finally:
            self._put(_END)

    def __iter__(self) -> Iterator[Any]:
        while True:
            item = self._queue.get()
            if item is _END:
                if self._error is not None:
                    raise self._error
                return
            yield item

    def close(self) -> None:
        """Stop the thread (early exit or error downstream) and wait for it."""
        self._stop.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=_POLL)
        self._thread.join()


class Consumer:
    """Calls ``handle(item)`` in a thread for each item put, in order."""

    def __init__(self, handle: Callable[[Any], None], size: int = 8, name: str = "veil-encode") -> None:
        self._handle = handle
        self._queue: queue.Queue[Any] = queue.Queue(size)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if self._error is None:
                try:
                    self._handle(item)
                except BaseException as exc:  # raised in the producer's thread on its next call
                    self._error = exc

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def put(self, item: Any) -> None:
        self._raise()
        self._queue.put(item)

    def close(self) -> None:
        """Wait until every item is handled; raise the first error of the thread, if any."""
        self._queue.put(_END)
        self._thread.join()
        self._raise()

    def abort(self) -> None:
        """Discard what is queued and stop (the caller is failing anyway)."""
        if self._error is None:
            self._error = RuntimeError("aborted")
        self._queue.put(_END)
        self._thread.join()
