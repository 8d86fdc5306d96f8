"""Request bodies are small JSON: anything larger is refused before it is read into memory (413)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from presence_adapters.http.errors import ApiError, send_error

MAX_BODY_BYTES = 16 * 1024
# A refused body is still read (and dropped) up to this size, so that the client, which is still
# sending, gets to read the 413; beyond it the connection is closed under it.
DRAIN_BYTES = 1024 * 1024


class BodyTooLargeError(Exception):
    """The request body is larger than allowed (or its declared length is unreadable)."""


async def read_body(scope: Scope, receive: Receive, max_bytes: int) -> bytes | None:
    """The whole request body, or None when the client went away before sending it.

    Raises ``BodyTooLargeError`` past ``max_bytes``, having drained up to ``DRAIN_BYTES`` of it.
    """
    declared = b"0"
    for name, value in scope["headers"]:
        if name == b"content-length":
            declared = value
    if not declared.isdigit() or int(declared) > DRAIN_BYTES:
        raise BodyTooLargeError
    body, size, more = b"", 0, True
    while more and size <= DRAIN_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        more = message.get("more_body", False)
        if size <= max_bytes:
            body += chunk
    if size > max_bytes:
        raise BodyTooLargeError
    return body


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands on ``body`` (already read) in one piece, then waits as the original does."""
    replayed = False

    async def again() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


async def refuse(send: Send, max_bytes: int) -> None:
    """The 413 answer, closing the connection (the rest of the body is not read)."""
    await send_error(send, ApiError(413, "too_large", f"the body is larger than {max_bytes} bytes", {"Connection": "close"}))


class BodyLimit:
    """ASGI middleware: reads at most ``max_bytes`` of a request body, then hands it on in one piece."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            body = await read_body(scope, receive, self.max_bytes)
        except BodyTooLargeError:
            await refuse(send, self.max_bytes)
            return
        if body is not None:
            await self.app(scope, replay(body, receive), send)
