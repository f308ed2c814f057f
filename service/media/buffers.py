"""Frame buffers reused across a video, so long videos do not fragment the heap.

A 720p RGB frame is 2.76 MB. Decoding one into a fresh buffer per frame, with frames alive for
different spans (queues, the tracker's look-ahead), leaves frame-sized holes that small allocations
split, and the process's memory creeps up over a long video. The pool hands out buffers by shape and
takes one back only once nothing refers to it any more: Python's own reference count is the
ownership record, so a buffer still held anywhere (a queue, a view, an encoder frame) is never handed
out again, and one frame's pixels can never show up in another's. (This relies on CPython's exact
reference counts under the GIL, as pinned in pyproject.toml: revisit before a free-threaded build.)
"""

from __future__ import annotations

import sys

import numpy as np


def _held_by_pool() -> int:
    """References to a free buffer while ``take`` checks it: the pool's list, the local name, the call."""
    buffers = [np.empty(0)]
    buf = buffers[0]
    return sys.getrefcount(buf)


_HELD_BY_POOL = _held_by_pool()


class FramePool:
    """Reusable uint8 buffers by shape; ``take`` returns a free one, or a new one when all of that
    shape are in use (the pool grows to the most frames alive at once, then stays that size)."""

    def __init__(self) -> None:
        self._buffers: dict[tuple[int, ...], list[np.ndarray]] = {}
        self._next: dict[tuple[int, ...], int] = {}

    def __len__(self) -> int:
        return sum(len(b) for b in self._buffers.values())

    def take(self, shape: tuple[int, ...]) -> np.ndarray:
        """A buffer of ``shape`` that nothing else refers to (holding whatever it held last)."""
        buffers = self._buffers.setdefault(shape, [])
        n, start = len(buffers), self._next.get(shape, 0)
        for k in range(n):  # from after the last one handed out: the oldest is likeliest free
            i = (start + k) % n
            buf = buffers[i]
            if sys.getrefcount(buf) <= _HELD_BY_POOL:
                self._next[shape] = i + 1
                return buf
        buf = np.empty(shape, np.uint8)
        buffers.append(buf)
        self._next[shape] = 0
        return buf

    def copy(self, array: np.ndarray) -> np.ndarray:
        """``array`` (uint8) copied into a pooled buffer."""
        buf = self.take(array.shape)
        np.copyto(buf, array)
        return buf
