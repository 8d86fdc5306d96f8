"""Requests that never reach the app (unparseable HTTP, a refused WebSocket handshake) get the one JSON shape."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.adapters.http.conftest import WAIT_S, Api

FEED = "/v1/rooms/app:doc/feed"
UPGRADE = "Upgrade: websocket\r\nConnection: Upgrade\r\n"


async def raw(api: Api, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the answer to ``request`` sent as bytes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", api.port)
    writer.write(request)
    answer = await asyncio.wait_for(reader.read(), WAIT_S)
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize("request_bytes", [
    b"HELLO WORLD\r\n\r\n",
    b"GET /v1/me HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
    b"POST /v1/heartbeat HTTP/1.1\r\nHost: x\r\nContent-Length: many\r\n\r\n",
], ids=["request line", "header", "content length"])
async def test_a_request_that_is_not_http_gets_a_json_400(api: Api, request_bytes: bytes) -> None:
    status, headers, body = await raw(api, request_bytes)
    assert (status, headers["content-type"]) == (400, "application/json")
    assert json.loads(body) == {"error": {"code": "malformed_request", "message": "the request is not valid HTTP/1.1"}}


@pytest.mark.parametrize("handshake", [
    f"GET {FEED} HTTP/1.1\r\nHost: x\r\n{UPGRADE}Sec-WebSocket-Version: 13\r\n\r\n",
    f"GET {FEED} HTTP/1.1\r\nHost: x\r\n{UPGRADE}Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 7\r\n\r\n",
], ids=["no key", "old version"])
async def test_a_refused_websocket_handshake_gets_a_json_400(api: Api, handshake: str) -> None:
    status, headers, body = await raw(api, handshake.encode())
    assert (status, headers["content-type"]) == (400, "application/json")
    error = json.loads(body)["error"]
    assert error["code"] == "malformed_request" and "Sec-WebSocket-Version: 13" in error["message"]
