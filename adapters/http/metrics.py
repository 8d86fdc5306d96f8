"""Prometheus metrics of the HTTP API; labels are route templates, status codes and fixed reasons only
(never a path with an id in it, never a token)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter("presence_http_requests", "HTTP API requests, by route template and status",
                                ["route", "status"], registry=registry)
        self.feed_clients = Gauge("presence_http_feed_clients", "Live feeds open in this process",
                                  registry=registry)
        self.feed_closed = Counter("presence_http_feeds_closed", "Live feeds the server closed, by reason "
                                   "(try_later: fell behind or presence unavailable)", ["reason"], registry=registry)


class CountRequests:
    """ASGI middleware counting each HTTP request under the template of the route that served it."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def sent(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sent)
        finally:
            route = getattr(scope.get("route"), "path", "other")
            self.metrics.requests.labels(route=route, status=str(status)).inc()
