"""One log line per request: request id, route template, status, duration, size bucket.

Pure ASGI middleware; no client address, path parameters, file names or anything the models saw.
Also enforces the upload size limit while the body streams in.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from service.api.problems import problem
from service.errors import HeadersTooLargeError, TooLargeError, UriTooLongError, VeilError

log = logging.getLogger("veil.access")
MAX_TARGET = 16 * 1024
"""Longest request target (path and query) answered; the server reads lines up to ``MAX_LINE``, so a
longer one still gets a problem+json answer instead of a dropped connection."""
MAX_HEADERS = 32 * 1024
MAX_LINE = 1 << 20
_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def _bucket(n: int) -> str:
    for limit, name in ((100_000, "<100k"), (1_000_000, "<1M"), (10_000_000, "<10M")):
        if n < limit:
            return name
    return ">=10M"


def _body_too_large(limit: int) -> TooLargeError:
    """Which limit the body hit (not how large it was)."""
    return TooLargeError(f"The upload is larger than this route's limit of {limit:,} bytes "
                         "(VEIL_MAX_UPLOAD_BYTES; VEIL_MAX_VIDEO_UPLOAD_BYTES for /v1/jobs).")


class AccessLogMiddleware:
    def __init__(self, app, max_body: int, max_body_by_path: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_body = max_body
        self.by_path = max_body_by_path or {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        status = {"code": 500}
        received = {"n": 0}
        limit = self.by_path.get(scope.get("path", ""), self.max_body)
        declared = headers.get(b"content-length", b"")
        refusal: VeilError | None = None
        if len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"") > MAX_TARGET:
            refusal = UriTooLongError()
        elif sum(len(k) + len(v) for k, v in scope.get("headers") or []) > MAX_HEADERS:
            refusal = HeadersTooLargeError()
        elif declared.isdigit() and int(declared) > limit:
            refusal = _body_too_large(limit)
        if refusal is not None:
            resp = problem(refusal.status, refusal.type_slug, refusal.title, refusal.detail)
            await resp(scope, receive, send)
            size = int(declared) if declared.isdigit() else 0
            return self._log(scope, request_id, refusal.status, start, size)

        async def limited_receive():
            message = await receive()
            if message["type"] == "http.request":
                received["n"] += len(message.get("body", b""))
                if received["n"] > limit:
                    raise _body_too_large(limit)
            return message

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_id)
        finally:
            self._log(scope, request_id, status["code"], start, received["n"])

    @staticmethod
    def _log(scope, request_id: str, code: int, start: float, size: int) -> None:
        route = getattr(scope.get("route"), "path", "unmatched")
        log.info("request_id=%s method=%s route=%s status=%d duration_ms=%.1f size=%s", request_id,
                 scope.get("method", "-"), route, code, (time.perf_counter() - start) * 1000, _bucket(size))
