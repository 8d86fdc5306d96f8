"""Bearer tokens -> a device of a person (SPEC section 11). A token is read only from a header.

HTTP: ``Authorization: Bearer <token>``. WebSocket: the subprotocol ``bearer.<token>`` offered
beside ``presence.v1`` (what a browser's ``WebSocket`` can send), or a first message
``{"type": "auth", "token": "<token>"}``. A token in a URL is refused outright, before it could be
used, so that nobody learns to put it where proxies, browser history and access logs keep it
(``token_in_url`` says exactly what counts; docs/http.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from fastapi import Request
from starlette.types import Scope

from presence_adapters.http.errors import ApiError
from presence_core import PresenceService
from presence_core.tokens import PREFIX, ApiDevice, holds_token

SUBPROTOCOL = "presence.v1"
BEARER_SUBPROTOCOL = "bearer."
# Query parameters that can only be a token sent the wrong way.
TOKEN_PARAMS = frozenset({"token", "access_token", "bearer", "auth", "authorization"})
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="presence"'}


def token_in_url(scope: Scope) -> bool:
    """Whether the request's URL carries what can only be a token sent the wrong way: a query parameter
    named like one (``TOKEN_PARAMS``, any value), ``prs_`` in any case anywhere in a query parameter's
    name or value (no parameter of the API ever holds it), or a whole token anywhere in the path."""
    query = scope.get("query_string", b"").decode("latin-1")
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(name.lower() in TOKEN_PARAMS or PREFIX in name.lower() or PREFIX in value.lower()
               for name, value in pairs):
            return True
    return holds_token(scope["path"])


TOKEN_IN_URL = ApiError(400, "token_in_url", "never put a token in a URL: send it as 'Authorization: Bearer "
                        "<token>', and revoke this one with /presence token revoke NAME")


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header."""
    scheme, _, token = (header or "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def offered_token(subprotocols: list[str]) -> str | None:
    """The token a WebSocket client offered as the subprotocol ``bearer.<token>``."""
    for protocol in subprotocols:
        if protocol.startswith(BEARER_SUBPROTOCOL):
            return protocol.removeprefix(BEARER_SUBPROTOCOL)
    return None


async def authenticate(presence: PresenceService, token: str | None) -> ApiDevice:
    """The device of a live token; raises 401 ``missing_token`` or ``invalid_token``."""
    if token is None:
        raise ApiError(401, "missing_token", "send your token as 'Authorization: Bearer <token>' "
                       "(get one with /presence token NAME)", _CHALLENGE)
    device = await presence.authenticate(token)
    if device is None:
        raise ApiError(401, "invalid_token", "this token is unknown or revoked", _CHALLENGE)
    return device


def request_device(presence: PresenceService) -> Callable[[Request], Awaitable[ApiDevice]]:
    """A FastAPI dependency giving the device the request's token acts as."""

    async def device(request: Request) -> ApiDevice:
        # URLs holding a token never get this far (``PresenceApi`` refuses them first).
        return await authenticate(presence, bearer(request.headers.get("authorization")))

    return device
