"""``RequestMetrics``: API requests by route template and status, with a latency histogram.

Plain ASGI, outside the guard, so refused requests (401, 403, 429) are counted too. The ``route``
label is the route's template (``/api/v1/runs/{run_id}``), never the raw path: a path no route
matches counts as ``<unmatched>``, so scanners cannot grow the label set.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from interlace.server.api.auth import RouteEntry

__all__ = ["LATENCY_BUCKETS", "RequestMetrics"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
UNMATCHED = "<unmatched>"


class RequestMetrics:
    """Counts each HTTP request (``interlace_api_requests_total``) and times it
    (``interlace_api_request_duration_seconds``) in ``registry``."""

    def __init__(self, app: ASGIApp, *, registry: CollectorRegistry,
                 routes_of: Callable[[], list[RouteEntry]]) -> None:
        self.app = app
        self._routes_of = routes_of
        self._routes: list[RouteEntry] | None = None
        self.requests = Counter("interlace_api_requests", "API requests by route template, method and "
                                "status code.", ("route", "method", "status"), registry=registry)
        self.latency = Histogram("interlace_api_request_duration_seconds", "Time to answer API requests "
                                 "(to the end of the body; streams count until they close).",
                                 ("route", "method"), buckets=LATENCY_BUCKETS, registry=registry)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception escaping the app is answered 500 by the server

        async def recording(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            route, method = self._template(scope), str(scope.get("method", "GET"))
            self.requests.labels(route, method, str(status)).inc()
            self.latency.labels(route, method).observe(time.perf_counter() - started)

    def _template(self, scope: Scope) -> str:
        if self._routes is None:
            self._routes = self._routes_of()
        path, method = str(scope.get("path", "")), scope.get("method", "GET")
        partial = None
        for entry in self._routes:  # the guard's table: full templates, prefixes included
            if entry.kind == "websocket" or not entry.matches(path):
                continue
            if entry.kind == "mount" or method in entry.methods:
                return entry.path
            partial = partial or entry.path
        return partial or UNMATCHED
