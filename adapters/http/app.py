"""``create_app(presence)``: the HTTP API and live feed of SPEC section 11 as one ASGI app.

``presence-bot`` serves it with uvicorn when ``[http] enabled = true``; an operator can mount the
same app in their own server (their server then starts and stops ``presence`` itself). Routes:
``/v1/…`` (JSON, epoch ms, bearer tokens), ``WS /v1/rooms/{id}/feed``, the board at ``/rooms/{id}``,
``/openapi.json`` and ``/docs``, and ``/metrics`` when given a Prometheus registry.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, WebSocket
from prometheus_client import CollectorRegistry, make_asgi_app
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from presence_adapters.http import board, errors, me, rooms
from presence_adapters.http.auth import TOKEN_IN_URL, token_in_url
from presence_adapters.http.errors import send_error
from presence_adapters.http.feed import Feeds
from presence_adapters.http.heartbeat import DirectHeartbeat, HeartbeatLimit
from presence_adapters.http.hub import FeedOptions
from presence_adapters.http.limits import MAX_BODY_BYTES, BodyLimit
from presence_adapters.http.metrics import CountRequests, HttpMetrics
from presence_adapters.http.room_ids import RoomIds
from presence_core import PresenceService


# FastAPI's own OpenTelemetry instrumentation, off: with no exporter configured its spans only cost
# time (about 10% of a heartbeat); presence reports through Prometheus (/metrics) instead.
TELEMETRY: dict[str, bool] = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


class _Asgi:
    """An ASGI app as a route endpoint (a plain function would be taken for a request handler)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class PresenceApi(FastAPI):
    """The FastAPI app, with heartbeats served first by ``direct`` (see ``presence_adapters.http.heartbeat``).

    Well-formed heartbeats never pass through the app's middleware: wrap the app (ASGI middleware
    around it) rather than ``add_middleware`` on it to see every request.
    """

    direct: DirectHeartbeat | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and token_in_url(scope):
            # Every route, the board page and unknown paths alike (a feed refuses it with 4400 itself).
            await send_error(send, TOKEN_IN_URL)
        elif self.direct is not None and self.direct.serves(scope):
            await self.direct(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def routed(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The request through FastAPI's middleware and routes, whatever it is."""
        await super().__call__(scope, receive, send)


def metrics_route(registry: CollectorRegistry) -> Route:
    """``GET /metrics`` by prometheus-client's own ASGI app (text or OpenMetrics, gzip when asked)."""
    return Route("/metrics", _Asgi(make_asgi_app(registry)), methods=["GET"])


def create_app(presence: PresenceService, *, metrics_registry: CollectorRegistry | None = None,
               feed_options: FeedOptions | None = None, max_body_bytes: int = MAX_BODY_BYTES,
               room_id_key: bytes | None = None) -> PresenceApi:
    """The app over a (started) service; ``metrics_registry`` adds ``/metrics`` and the HTTP metrics;
    ``room_id_key``: the key of the ids app rooms show people by (``room_ids``; random when None), the
    same in every process serving the API."""
    metrics = HttpMetrics(metrics_registry) if metrics_registry is not None else None
    ids = RoomIds(room_id_key)
    feeds = Feeds(presence, feed_options or FeedOptions(), metrics, ids)
    limit = HeartbeatLimit(presence)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        feeds.stop()

    # A body without a Content-Type is read as JSON, on every route as on the direct heartbeat path: tokens
    # travel only in headers, so a cross-site request that skips the CORS preflight carries none.
    app = PresenceApi(title="presence", version="1", lifespan=lifespan, redoc_url=None, telemetry=TELEMETRY,
                      strict_content_type=False,
                  description="Presence of apps and web pages as devices of chat users (SPEC section 11). "
                              "Send your token as 'Authorization: Bearer <token>'; get one in chat with "
                              "/presence token NAME.")
    errors.install(app)
    app.include_router(rooms.router(presence, limit, ids))
    app.include_router(me.router(presence))

    @app.websocket("/v1/rooms/{room_id:room}/feed")
    async def feed(websocket: WebSocket, room_id: str) -> None:
        await feeds.serve(websocket, room_id)

    board.install(app)
    if metrics is not None and metrics_registry is not None:
        app.router.routes.append(metrics_route(metrics_registry))
        app.add_middleware(CountRequests, metrics=metrics)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.direct = DirectHeartbeat(presence, limit, app.routed, max_body_bytes, metrics)
    return app
