"""Requests counted and timed per route, for `GET /metrics` (shared/metrics.py).

Each process keeps its own figures in a plain dict (no lock, no shared memory:
a granian worker is one process and one event loop), keyed by the method, the
route's path *template* as Litestar matched it (`/nominations/{nomination_id}`,
never the raw path, so the series stay few whatever the clients ask; a path no
route matches, and a method a route does not take, are `unmatched`) and the
status code. A scrape reads them into a counter and a histogram labelled with
the process's `pid`, like the other per-process figures (sum over `pid`).

The cost is two clock reads, a dict lookup, a bisection and three additions a
request: measured on the events service's cached roll (docs/architecture.md,
"Speed"). `instrument(app)` wraps what Litestar runs for every request (after
its exception handling, so a 404 or a 500 is seen with its status); an answer
served before the framework (the roll's fast path) calls `observe` itself.
"""

from __future__ import annotations

import os
import time
from bisect import bisect_left
from collections.abc import Iterable

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric

# Seconds. A cached roll answer takes well under a millisecond; a search, a write, tens; an upload, seconds.
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED = "unmatched"  # the route label of a request no route took (404 of an unknown path, 405)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"  # any other method a client sends: the label stays bounded
LABELS = ["method", "route", "status", "pid"]

clock = time.perf_counter


class _Series:
    """One (method, route, status): how many answers fell in each bucket (the last: above every bound), and their
    total seconds."""

    __slots__ = ("counts", "seconds")

    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)
        self.seconds = 0.0


class RequestMetrics:
    """This process's requests, by method, route template and status."""

    def __init__(self) -> None:
        self.series: dict[tuple[str, str, int], _Series] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = _Series()
        series.counts[bisect_left(BUCKETS, seconds)] += 1  # the first bound >= seconds: Prometheus's `le`
        series.seconds += seconds

    def families(self) -> list[Metric]:
        pid = str(os.getpid())
        requests = CounterMetricFamily(
            "thidua_http_requests",
            "HTTP requests answered by this process, by method, route template and status code; sum over pid.",
            labels=LABELS,
        )
        duration = HistogramMetricFamily(
            "thidua_http_request_duration_seconds",
            "Seconds from a request's arrival to its answer's last byte handed to the server, by method, route "
            "template and status code; per process: sum over pid.",
            labels=LABELS,
        )
        for (method, route, status), series in sorted(self.series.items()):
            labels = [method, route, str(status), pid]
            total = sum(series.counts)
            requests.add_metric(labels, total)
            duration.add_metric(labels, _cumulative(series.counts), series.seconds)
        return [requests, duration]


def _cumulative(counts: list[int]) -> list[tuple[str, float]]:
    buckets, running = [], 0
    for bound, count in zip([*map(repr, BUCKETS), "+Inf"], counts, strict=True):
        running += count
        buckets.append((bound, float(running)))
    return buckets


REQUESTS = RequestMetrics()  # this process's


def method_of(scope: HTTPScope) -> str:
    method = scope["method"]
    return method if method in METHODS else OTHER_METHOD


class MeasureRequests:
    """Times every HTTP request through the app it wraps and counts it under the route Litestar matched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        start = clock()
        status = 500  # what the server answers when the app fails before it starts an answer

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            REQUESTS.observe(method_of(scope), scope.get("path_template") or UNMATCHED, status, clock() - start)


def instrument(app: Litestar) -> Litestar:
    """The app, its every request measured: wraps what Litestar runs after its exception handling and routing."""
    app.asgi_handler = MeasureRequests(app.asgi_handler)
    return app


async def request_metrics(_service: object) -> Iterable[Metric]:
    """The metrics source (shared/metrics.py SOURCES)."""
    return REQUESTS.families()
