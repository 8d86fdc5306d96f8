"""The one error shape of the HTTP API: ``{"error": {"code": "...", "message": "..."}}``, for every failure.

FastAPI's own errors (validation, unknown routes, wrong methods, unreadable bodies) are turned into
it too, and anything unexpected becomes a 500 with a fixed message: never a trace, never what the
client sent beyond a bounded excerpt.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Router, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketClose

from presence_core import PresenceError
from presence_core.errors import TextTooLongError
from presence_core.rooms import LOCATION_MAX_BYTES, LOCATION_MAX_DEPTH, ROOM_ID_MAX_LEN

# The code of each status when nothing more precise applies.
STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type", 422: "invalid",
                429: "rate_limited", 500: "internal", 503: "unavailable"}
_EXCERPT = 80


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    """Every failure: a stable machine-readable ``code`` and a sentence for people."""

    error: ErrorBody


class ApiError(Exception):
    """A failure the API answers on purpose, with its status, code and message."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


# What every unexpected failure answers: nothing about what went wrong.
INTERNAL = ApiError(500, "internal", "something went wrong on our side")
_MALFORMED_JSON = ApiError(400, "malformed_json", "the body is not valid JSON")


def error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status, headers=dict(headers or {}))


def error_json(error: ApiError) -> bytes:
    """The body of an error answer, as ``error_response`` writes it."""
    return json.dumps({"error": {"code": error.code, "message": error.message}}, ensure_ascii=False,
                      separators=(",", ":")).encode()


async def send_json(send: Send, status: int, payload: bytes, headers: Mapping[str, str] | None = None, *,
                    kind: str = "http") -> None:
    """A whole JSON answer straight through ASGI (for the paths that answer below FastAPI); ``kind``
    ``"websocket.http"`` refuses a WebSocket handshake with it (the ASGI denial response extension)."""
    await send({"type": f"{kind}.response.start", "status": status,
                "headers": [(b"content-length", str(len(payload)).encode()), (b"content-type", b"application/json"),
                            *((name.lower().encode(), value.encode()) for name, value in (headers or {}).items())]})
    await send({"type": f"{kind}.response.body", "body": payload})


async def send_error(send: Send, error: ApiError, *, kind: str = "http") -> None:
    await send_json(send, error.status, error_json(error), error.headers, kind=kind)


def _field(location: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in location if part != "body") or "body"


def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    """Malformed JSON is a 400, a body of another type than JSON a 415 (one without a ``Content-Type`` is
    read as JSON: ``create_app``'s ``strict_content_type=False``); JSON of the wrong shape a 422 naming the
    first wrong field."""
    errors = exc.errors()
    first = errors[0] if errors else {}
    if first.get("type") == "json_invalid":
        return error_response(_MALFORMED_JSON.status, _MALFORMED_JSON.code, _MALFORMED_JSON.message)
    content_type = request.headers.get("content-type", "")
    if tuple(first.get("loc", ())) == ("body",) and content_type and "json" not in content_type:
        return error_response(415, "unsupported_media_type", "send the body as JSON, with 'Content-Type: "
                              "application/json'")
    return error_response(422, "invalid", f"{_field(tuple(first.get('loc', ())))}: {_wrong(first)}"[:200])


# What is wrong with a field, in the API's words, by pydantic's error type (pydantic's own sentences
# name Python types and change between versions).
_WRONG = {
    "missing": "is required", "extra_forbidden": "is not a field of this request",
    "string_type": "must be text", "int_type": "must be a whole number", "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number", "bool_type": "must be true or false",
    "dict_type": "must be a JSON object", "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object", "list_type": "must be a list",
}
_BOUNDS = {"greater_than_equal": ("ge", "at least"), "greater_than": ("gt", "more than"),
           "less_than_equal": ("le", "at most"), "less_than": ("lt", "less than"),
           "string_too_long": ("max_length", "at most this many characters:"),
           "string_too_short": ("min_length", "at least this many characters:")}


def _wrong(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        return f"must be {words} {error.get('ctx', {}).get(key)}"
    return _WRONG.get(kind, "has the wrong type or value")


# The API's own words for the statuses the framework answers by itself.
_STATUS_WORDING = {404: "no such endpoint (the API is described at /openapi.json)",
                   405: "this endpoint does not take this method"}
NOT_FOUND = ApiError(404, "not_found", _STATUS_WORDING[404])
NOT_A_HANDSHAKE = ApiError(400, "malformed_request", "not a WebSocket handshake: this is a WebSocket endpoint "
                                                     "(send 'Upgrade: websocket')")


def _http(exc: StarletteHTTPException) -> JSONResponse:
    code = STATUS_CODES.get(exc.status_code, "error")
    message = _STATUS_WORDING.get(exc.status_code, code.replace("_", " "))
    if exc.status_code == 400:
        # FastAPI could not read the body at all: bytes that are not UTF-8 are not JSON (as a syntax
        # error is); anything else (nesting too deep for the parser) is ``malformed_body``.
        if isinstance(exc.__cause__, UnicodeError):
            code, message = _MALFORMED_JSON.code, _MALFORMED_JSON.message
        else:
            code, message = "malformed_body", "the body could not be read as JSON"
    return error_response(exc.status_code, code, message, exc.headers)


def _is_websocket_path(router: Router, scope: Scope) -> bool:
    """Whether a WebSocket route of ``router`` takes this (HTTP) request's path."""
    as_websocket = {**scope, "type": "websocket"}
    return any(isinstance(route, WebSocketRoute) and route.matches(as_websocket)[0] is Match.FULL
               for route in router.routes)


def _not_found(router: Router) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """What ``router`` answers when no route takes a request (instead of Starlette's own answers: a
    handshake refused with a bare 403 and a 404 for a plain request on a feed)."""

    async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            if "websocket.http.response" in scope.get("extensions", {}):
                await send_error(send, NOT_FOUND, kind="websocket.http")
            else:  # a server without the denial response extension can only refuse (with 403)
                await WebSocketClose()(scope, receive, send)
        elif scope["type"] == "http" and _is_websocket_path(router, scope):
            raise NOT_A_HANDSHAKE
        else:
            raise StarletteHTTPException(404)

    return not_found


_UNAVAILABLE = ApiError(503, "unavailable", "presence is temporarily unavailable; try again", {"Retry-After": "1"})
_ROOM_ID_RULE = (f"app:NAME or PLATFORM:CHANNEL, without spaces or control characters, at most {ROOM_ID_MAX_LEN} "
                 "characters")
_EXPIRY = "expires_at_ms: a time in the future, in epoch ms, at most 365 days ahead"
# The API's own answer to each stable code of the core (``PresenceError.code``): the core's messages are
# for developers and never reach a client.
_CORE_CODES = {
    "room_forbidden": ApiError(403, "room_forbidden", "this room is a chat you were not seen in, or have left"),
    "unavailable": _UNAVAILABLE,
    "concurrent_update": _UNAVAILABLE,
    "invalid_room_id": ApiError(422, "invalid", f"room id: {_ROOM_ID_RULE}"),
    "invalid_location": ApiError(422, "invalid", f"location: text, a number, true/false, a list or an object, nested "
                                                 f"at most {LOCATION_MAX_DEPTH} deep and at most {LOCATION_MAX_BYTES} "
                                                 "bytes as JSON, and only in an app room (app:NAME)"),
    "invalid_status": ApiError(422, "invalid", "status: one of online, away, dnd, offline"),
    "empty_text": ApiError(422, "invalid", "text: must not be empty"),
}
# A core refusal with no code of its own ("invalid"), worded by the route whose input it refused.
_INVALID_BY_ROUTE = {
    "/v1/me/status": ApiError(422, "invalid", f"status: one of online, away, dnd, offline (online takes no expiry); "
                                              f"{_EXPIRY}"),
    "/v1/me/custom-status": ApiError(422, "invalid", f"text: no control characters; {_EXPIRY}"),
    "/v1/me/activity": ApiError(422, "invalid", "limit: 1 to 50; since: a time in epoch ms"),
}
# A core refusal with a code of its own, worded by the route whose field it refused (the heartbeat's room
# id is its body's ``channel_id``, every other route's is in the path).
_CODE_BY_ROUTE = {
    ("/v1/heartbeat", "invalid_room_id"): ApiError(422, "invalid", f"channel_id: {_ROOM_ID_RULE}"),
}
_INVALID = ApiError(422, "invalid", "a value in the request is malformed or out of range")
_REFUSED = ApiError(422, "refused", "presence refused this request")


def presence_error(exc: PresenceError, route: str) -> ApiError:
    """What the API answers to a refusal of the core, raised while serving ``route`` (a route template)."""
    if (route, exc.code) in _CODE_BY_ROUTE:
        return _CODE_BY_ROUTE[route, exc.code]
    if exc.code in _CORE_CODES:
        return _CORE_CODES[exc.code]
    if isinstance(exc, TextTooLongError):
        return ApiError(422, "invalid", f"text: at most {exc.limit} characters")
    if exc.code == "invalid":
        return _INVALID_BY_ROUTE.get(route, _INVALID)
    return _REFUSED


def install(app: FastAPI) -> None:
    """Route every kind of failure to the one shape, requests no route takes included."""

    async def api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    async def validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return _validation(request, exc)

    async def http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return _http(exc)

    async def presence(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, PresenceError)
        answer = presence_error(exc, getattr(request.scope.get("route"), "path", ""))
        return error_response(answer.status, answer.code, answer.message, answer.headers)

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette raises it on after this answer, so the server logs it once (as one structured line).
        return error_response(INTERNAL.status, INTERNAL.code, INTERNAL.message)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(PresenceError, presence)
    app.add_exception_handler(Exception, unexpected)
    app.router.default = _not_found(app.router)


def excerpt(text: str) -> str:
    """What a message may quote of client input."""
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + "…"
