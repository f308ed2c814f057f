"""``Idempotency-Key`` for the synchronous routes: a retried request gets the first answer again.

A DMS upload hook that times out and retries must not pay for a second inference, nor get a different
file. The redacted output (never an input) is kept in memory for a short time under the key, with a
digest of what was sent; the same key with a different upload or options is refused. Bounded in bytes;
oldest entries go first; nothing is written to disk.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from service.errors import IdempotencyMismatchError


@dataclass(frozen=True)
class Answer:
    body: bytes
    media_type: str


def fingerprint(route: str, data: bytes, fields: dict[str, str]) -> str:
    """A SHA-256 digest of the route, the upload and its option fields, compared with the kept one to
    refuse a reused key. Kept in memory beside the answer only; never logged or exported."""
    h = hashlib.sha256(route.encode())
    h.update(hashlib.sha256(data).digest())
    for k in sorted(fields):
        h.update(f"\0{k}={fields[k]}".encode())
    return h.hexdigest()


class ReplayCache:
    def __init__(self, ttl_seconds: float, max_bytes: int) -> None:
        self.ttl, self.max_bytes = ttl_seconds, max_bytes
        self._items: OrderedDict[str, tuple[float, str, Answer]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str, digest: str) -> Answer | None:
        """The kept answer for ``key``; raises if the key was used for another request."""
        with self._lock:
            self._expire()
            item = self._items.get(_name(key))
            if item is None:
                return None
            if item[1] != digest:
                raise IdempotencyMismatchError()
            return item[2]

    def put(self, key: str, digest: str, answer: Answer) -> None:
        if self.ttl <= 0 or len(answer.body) > self.max_bytes:
            return
        with self._lock:
            name = _name(key)
            if name in self._items:
                return  # a concurrent retry finished first: keep its answer
            self._items[name] = (time.monotonic() + self.ttl, digest, answer)
            self._bytes += len(answer.body)
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._items)))

    def _expire(self) -> None:
        now = time.monotonic()
        for name in [n for n, (until, _, _) in self._items.items() if until <= now]:
            self._drop(name)

    def _drop(self, name: str) -> None:
        _, _, answer = self._items.pop(name)
        self._bytes -= len(answer.body)


def _name(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()  # keys may carry client data: only a digest is held
