"""Request bodies are small JSON: anything larger is refused before it is read into memory (413)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 16 * 1024
# A refused body is still read (and dropped) up to this size, so that the client, which is still
# sending, gets to read the 413; beyond it the connection is closed under it.
DRAIN_BYTES = 1024 * 1024


class BodyLimit:
    """ASGI middleware: reads at most ``max_bytes`` of a request body, then hands it on in one piece."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > DRAIN_BYTES:
            await self._refuse(send)
            return
        body, size, more = b"", 0, True
        while more and size <= DRAIN_BYTES:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            more = message.get("more_body", False)
            if size <= self.max_bytes:
                body += chunk
        if size > self.max_bytes:
            await self._refuse(send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        payload = json.dumps({"error": {"code": "too_large",
                                        "message": f"the body is larger than {self.max_bytes} bytes"}},
                             separators=(",", ":")).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": payload})
