"""Serving an ASGI app with uvicorn on the bot's own event loop, next to the chat adapters.

uvicorn normally owns the process (signals, logging config); here it is one guest among others:
``presence-bot`` keeps its own SIGINT/SIGTERM handling, logs go through the bot's structured
handler, and the socket is bound before uvicorn starts, so a port in use is a clear error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

from presence_adapters.http.protocols import JsonHttpTools, JsonWebSockets
from presence_adapters.http.serverlog import quiet_uvicorn
from presence_core import PresenceError

log = logging.getLogger(__name__)

WS_MAX_MESSAGE = 64 * 1024
SHUTDOWN_GRACE_S = 5


class ListenError(PresenceError):
    def __init__(self, host: str, port: int, error: OSError) -> None:
        super().__init__(f"cannot listen on {host}:{port}: {error.strerror or error}")


class _GuestServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # presence-bot stops us on its own signals


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket. Its protocol must say TCP: asyncio turns Nagle's algorithm off (TCP_NODELAY)
    only on connections accepted from such a socket, and with it on, every response written in two
    parts waits for the client's delayed ACK (40 ms)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                         proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


class Served:
    """``app`` listening on ``host:port`` inside the block (``port`` 0: any free port, see ``.port``)."""

    def __init__(self, app: ASGIApp, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server: _GuestServer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        try:
            sock = _bind(self.host, self.port)
        except OSError as error:
            raise ListenError(self.host, self.port, error) from None
        self.port = sock.getsockname()[1]
        quiet_uvicorn()
        # httptools parses HTTP/1.1 in C (h11 costs far more per request), and both protocols answer what
        # they refuse themselves in JSON (``protocols``); no access log line per request; no X-Forwarded-*
        # rewriting (nothing here reads the client address or scheme). Diffs go to many clients at once:
        # compressing each copy would cost more than sending it.
        config = uvicorn.Config(self.app, http=JsonHttpTools, ws=JsonWebSockets, log_config=None, access_log=False,
                                proxy_headers=False, lifespan="on", server_header=False, ws_max_size=WS_MAX_MESSAGE,
                                ws_per_message_deflate=False, timeout_graceful_shutdown=SHUTDOWN_GRACE_S)
        self._server = _GuestServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                sock.close()
                await self._task
                raise ListenError(self.host, self.port, OSError("the server stopped while starting"))
            await asyncio.sleep(0.01)
        log.info("serving HTTP on http://%s:%s", self.host, self.port)

    async def close(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = self._task = None

    async def __aenter__(self) -> Served:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()
