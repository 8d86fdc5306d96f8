"""The HTTP API served for real: uvicorn on a free loopback port, a service on a hand-moved clock,
httpx for requests and the ``websockets`` library for live feeds."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from websockets.asyncio.client import ClientConnection, connect

from presence_adapters.http import FeedOptions, Served, create_app
from presence_adapters.http.room_ids import RoomIds
from presence_core import PresenceService
from presence_core.stores.memory import MemoryStore
from tests.support.clock import FakeClock

WAIT_S = 10.0
ALICE, BOB, CAROL = "telegram:1", "telegram:2", "discord:3"
DOC = "app:doc"
ROOM_ID_KEY = b"the key of the tests' room ids"


def shown(room_id: str, account: str) -> str:
    """The id ``room_id`` shows ``account`` by in the tests' app."""
    return RoomIds(ROOM_ID_KEY).of(room_id, account)


@dataclass
class Api:
    service: PresenceService
    http: httpx.AsyncClient
    port: int
    clock: FakeClock
    registry: CollectorRegistry

    async def token(self, user: str, name: str = "laptop", *, user_name: str | None = None) -> str:
        """A token of someone the bot has seen (so they have a name)."""
        await self.service.record_activity(user, user_name=user_name or user.split(":")[1])
        return await self.service.create_token(user, name)

    async def call(self, method: str, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.http.request(method, path, headers={**headers, **kw.pop("headers", {})}, **kw)

    async def heartbeat(self, token: str, **body: Any) -> httpx.Response:
        """A heartbeat in the next 5-second window, so that the rate limit never gets in the way."""
        self.clock.advance(5_000)
        return await self.call("POST", "/v1/heartbeat", token, json=body)

    def feed(self, room: str, token: str | None, *, protocols: list[str] | None = None, query: str = "",
             receive_buffer: int | None = None) -> Any:
        """A live feed; ``receive_buffer`` fixes the socket's receive buffer (no autotuning to megabytes)."""
        offered = protocols if protocols is not None else ["presence.v1", *([f"bearer.{token}"] if token else [])]
        sock = None
        if receive_buffer is not None:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
            sock.connect(("127.0.0.1", self.port))
        return connect(f"ws://127.0.0.1:{self.port}/v1/rooms/{room}/feed{query}", subprotocols=offered,  # type: ignore[arg-type]
                       open_timeout=WAIT_S, sock=sock)


async def receive(ws: ClientConnection, kind: str | None = None) -> dict[str, Any]:
    """The next message (of ``kind``, skipping pongs and others), parsed."""
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), WAIT_S))
        if kind is None or message["type"] == kind:
            return message  # type: ignore[no-any-return]


async def closed_with(ws: ClientConnection) -> tuple[int | None, str | None]:
    """Waits for the server to close; the code and reason it sent."""
    async with asyncio.timeout(WAIT_S):
        await ws.wait_closed()
    return (ws.close_code, ws.close_reason)


def feed_options() -> FeedOptions:
    return FeedOptions(interval_ms=0, keepalive_ms=100, resync_ms=60_000)


@pytest.fixture
async def api(clock: FakeClock) -> AsyncIterator[Api]:
    registry = CollectorRegistry()
    async with PresenceService(MemoryStore(), clock=clock) as service:
        app = create_app(service, metrics_registry=registry, feed_options=feed_options(), room_id_key=ROOM_ID_KEY)
        async with Served(app, "127.0.0.1", 0) as served, \
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{served.port}", timeout=WAIT_S) as http:
            yield Api(service, http, served.port, clock, registry)
