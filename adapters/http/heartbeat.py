"""``POST /v1/heartbeat`` (SPEC section 11): what a heartbeat does, and the direct path that serves it.

Heartbeats are nearly all of the API's traffic: every app device sends one every interval. The
FastAPI route (``rooms.py``) documents the endpoint and answers anything unusual; a well-formed
heartbeat (no query string, JSON or no body, a body ``HeartbeatIn`` accepts) is served by
``DirectHeartbeat`` below FastAPI's routing, dependency solving and middleware, which cost several
times the heartbeat's own work (bench/RESULTS-http.md). Both call ``beat``, so the answers are the
same; the direct path hands everything else to the app unchanged, body included.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from presence_adapters.http.auth import authenticate, bearer
from presence_adapters.http.errors import INTERNAL, ApiError, presence_error, send_error, send_json
from presence_adapters.http.limits import BodyTooLargeError, read_body, refuse, replay
from presence_adapters.http.metrics import HttpMetrics
from presence_adapters.http.models import HeartbeatIn, HeartbeatOut
from presence_core import PresenceError, PresenceService
from presence_core.rooms import KEEP
from presence_core.tokens import ApiDevice
from presence_core.views import device_name

PATH = "/v1/heartbeat"
# SPEC section 11: heartbeats faster than one per 5 s per token are refused.
WINDOW_MS = 5_000
_JSON = b"application/json"


class HeartbeatLimit:
    """One heartbeat per token in each 5-second window, counted by the store across every process.

    A token this process already counted in the current window is refused without asking the store
    (its count there is at least 1 already, so the answer could only be 429): a flood from one
    client costs no store call. Remembers the tokens of the current window only.
    """

    def __init__(self, presence: PresenceService) -> None:
        self._presence = presence
        self._window = -1
        self._counted: set[str] = set()

    async def check(self, token_hash: str) -> None:
        """Raises ``ApiError`` 429 with ``Retry-After`` (whole seconds to the next window)."""
        now = self._presence.clock()
        window = now // WINDOW_MS
        if window != self._window:
            self._window, self._counted = window, set()
        refused = token_hash in self._counted
        if not refused:
            refused = await self._presence.count_hit("api-heartbeat", token_hash, WINDOW_MS) > 1
            if window == self._window:
                self._counted.add(token_hash)
        if refused:
            wait_s = max(1, math.ceil(((window + 1) * WINDOW_MS - now) / 1000))
            raise ApiError(429, "rate_limited", f"at most one heartbeat per {WINDOW_MS // 1000} s per token; "
                           f"try again in {wait_s} s", {"Retry-After": str(wait_s)})


async def beat(presence: PresenceService, limit: HeartbeatLimit, device: ApiDevice, body: HeartbeatIn) -> HeartbeatOut:
    """The heartbeat of ``device``: checked, then counted against the limit, then recorded (joining or
    moving in ``body.channel_id``); a refused heartbeat costs nothing of the limit. Raises ``ApiError``
    (422, 429) or the core's ``PresenceError``."""
    location = body.location if "location" in body.model_fields_set else KEEP
    if location is not KEEP and body.channel_id is None:
        raise ApiError(422, "invalid", "location: needs a channel_id (a location is shown only in a room)")
    rooms = await presence.room_heartbeat(device.owner, device.device_id, body.channel_id, location,
                                          admit=lambda: limit.check(device.token_hash))
    return HeartbeatOut(device=device_name(device.device_id), rooms=rooms,
                        next_heartbeat_ms=presence.policy.heartbeat_interval_ms)


def _route_path(scope: Scope) -> str:
    """The path inside the app (an app mounted under a prefix sees it in ``root_path``)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


def _read(scope: Scope, body: bytes) -> tuple[str | None, HeartbeatIn] | None:
    """The token and body of a well-formed heartbeat; None for anything the app's route should answer.

    pydantic's own JSON parser accepts less than the ``json`` module FastAPI reads bodies with (no lone
    surrogates, no byte order mark, no UTF-16): whatever it refuses goes to the route, which answers it
    as before; whatever it accepts it reads the same.
    """
    if scope["query_string"]:
        return None
    authorization = content_type = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            authorization = value
        elif name == b"content-type":
            content_type = value
    if not body:
        parsed = HeartbeatIn()
    elif content_type is not None and content_type.partition(b";")[0].strip().lower() != _JSON:
        return None
    else:
        try:
            parsed = HeartbeatIn.model_validate_json(body)
        except ValidationError:
            return None
    return bearer(authorization.decode("latin-1") if authorization is not None else None), parsed


class DirectHeartbeat:
    """The ASGI app for ``POST /v1/heartbeat`` that answers well-formed heartbeats itself and hands any
    other request to ``app`` (with its body)."""

    def __init__(self, presence: PresenceService, limit: HeartbeatLimit, app: ASGIApp, max_body_bytes: int,
                 metrics: HttpMetrics | None) -> None:
        self.presence = presence
        self.limit = limit
        self.app = app
        self.max_body_bytes = max_body_bytes
        self._count: Callable[[int], None] = (lambda status: metrics.count(PATH, status)) if metrics else (lambda _: None)

    @staticmethod
    def serves(scope: Scope) -> bool:
        return scope["type"] == "http" and scope["method"] == "POST" and _route_path(scope) == PATH

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await read_body(scope, receive, self.max_body_bytes)
        except BodyTooLargeError:
            await refuse(send, self.max_body_bytes)
            self._count(413)
            return
        if body is None:
            return
        request = _read(scope, body)
        if request is None:
            await self.app(scope, replay(body, receive), send)
            return
        token, heartbeat = request
        try:
            device = await authenticate(self.presence, token)
            answer = await beat(self.presence, self.limit, device, heartbeat)
        except ApiError as error:
            await self._refuse(send, error)
        except PresenceError as error:
            await self._refuse(send, presence_error(error, PATH))
        except Exception:
            await self._refuse(send, INTERNAL)
            raise  # for the server's log, as the app's own routes do
        else:
            await send_json(send, 200, answer.model_dump_json().encode())
            self._count(200)

    async def _refuse(self, send: Send, error: ApiError) -> None:
        await send_error(send, error)
        self._count(error.status)
