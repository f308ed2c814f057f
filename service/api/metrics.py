"""Prometheus metrics: traffic, latency per route and stage, in-flight requests, queue depth, job outcomes.

Labels are route templates, methods, status codes, stage names and job outcomes only: nothing about
what a request contained or what was found in it (no counts, scores, sizes, file names or ids).
Each app owns its registry, so several apps in one process (tests) do not collide.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from service.timing import StageTimer

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("veil_http_requests", "HTTP requests answered",
                                ("method", "route", "status"), registry=r)
        self.latency = Histogram("veil_http_request_duration_seconds", "Time to answer a request",
                                 ("method", "route"), buckets=LATENCY_BUCKETS, registry=r)
        self.in_flight = Gauge("veil_http_requests_in_flight", "Requests being answered", registry=r)
        self.stages = Histogram("veil_stage_duration_seconds", "Time per pipeline stage of a still image",
                                ("stage",), buckets=LATENCY_BUCKETS, registry=r)
        self.jobs = Counter("veil_jobs_finished", "Video jobs finished in this process", ("outcome",),
                            registry=r)
        self._depth: Callable[[], int | None] = lambda: None
        r.register(_QueueDepth(lambda: self._depth()))

    def watch_queue(self, depth: Callable[[], int | None]) -> None:
        """Where the queue depth is read at scrape time (None: no queue)."""
        self._depth = depth

    def count_job(self, outcome: str) -> None:
        self.jobs.labels(outcome).inc()

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def observe_stages(self, timer: StageTimer) -> None:
        for stage, seconds in timer.seconds.items():
            self.stages.labels(stage).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _QueueDepth:
    def __init__(self, depth: Callable[[], int | None]) -> None:
        self.depth = depth

    def describe(self):
        return []

    def collect(self):
        try:
            n = self.depth()
        except Exception:  # a scrape never fails because Redis is briefly away
            n = None
        if n is not None:
            yield GaugeMetricFamily("veil_jobs_queued", "Video jobs waiting for a worker", value=n)


class MetricsMiddleware:
    """Counts and times every HTTP request by its route template (``unmatched`` for unknown paths)."""

    def __init__(self, app, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = {"code": 500}

        async def send_status(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_status)
        finally:
            self.metrics.in_flight.dec()
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.observe_request(scope.get("method", "-"), route, status["code"],
                                         time.perf_counter() - start)
