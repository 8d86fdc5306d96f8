"""``WS /v1/rooms/{id}/feed``: a room's presence live (SPEC section 11), fanned out with bounded queues.

Protocol. The client offers the subprotocols ``presence.v1`` and ``bearer.<token>`` (or sends
``{"type": "auth", "token": …}`` first). It then gets ``{"type": "presence_state", "people": {user id:
person}}`` and after that ``{"type": "presence_diff", "joins": {…}, "leaves": {…}, "changes": {…}}``
whenever the room's view of someone changes, in any process sharing the store. It may send
``{"type": "ping"}`` at any time and gets ``{"type": "pong"}``. An open feed keeps its device in the
room (the server heartbeats for it every heartbeat interval), so a client that drops and comes
back within the grace period causes no leave and no join.

Fan-out (``presence_adapters.http.hub``): one hub per room and process encodes each diff once for
all its clients; a 10k-member room costs one message per interval however many of its members
change, never one per member per change. A client that falls further behind than its bounded
queue allows is closed with 1013 (try again later) and gets a fresh snapshot when it reconnects.

Close codes: 4400 bad room id or token in the URL, 4401 missing/unknown/revoked token, 4403 a
chat the token's owner was not seen in, 4429 too many feeds for one token, 1013 fell behind or
presence unavailable, 1011 unexpected failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from presence_adapters.http.auth import SUBPROTOCOL, offered_token, token_in_url
from presence_adapters.http.hub import FeedClient, FeedOptions, Hub, encode
from presence_adapters.http.metrics import HttpMetrics
from presence_adapters.http.room_ids import RoomIds
from presence_core import PresenceError, PresenceService, StoreUnavailableError
from presence_core.models import RoomChange
from presence_core.rooms import check_room_id
from presence_core.status import Status

log = logging.getLogger(__name__)

CLOSE_BAD_REQUEST, CLOSE_UNAUTHORIZED, CLOSE_FORBIDDEN, CLOSE_TOO_MANY = 4400, 4401, 4403, 4429
CLOSE_TRY_LATER, CLOSE_INTERNAL = 1013, 1011
AUTH_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 10.0
CLIENT_MESSAGE_MAX = 4096


class Feeds:
    """Every hub of this process, and the service events they hear."""

    def __init__(self, presence: PresenceService, options: FeedOptions, metrics: HttpMetrics | None,
                 ids: RoomIds) -> None:
        self.presence = presence
        self.options = options
        self.metrics = metrics
        self.ids = ids
        self.hubs: dict[str, Hub] = {}
        self._per_token: Counter[str] = Counter()
        self._listening = False

    def _listen(self) -> None:
        """Hear the service's events from the first feed on (a mounted app may never see a lifespan)."""
        if not self._listening:
            self.presence.on("room_change", self._room_change)
            self.presence.on("status_change", self._status_change)
            self._listening = True

    def stop(self) -> None:
        if self._listening:
            self.presence.off("room_change", self._room_change)
            self.presence.off("status_change", self._status_change)
            self._listening = False
        for hub in self.hubs.values():
            hub.close()
        self.hubs.clear()

    def _room_change(self, change: RoomChange) -> None:
        hub = self.hubs.get(change.room_id)
        if hub is not None:
            hub.hear(change)

    def _status_change(self, person_id: str, old: Status, new: Status) -> None:
        for hub in self.hubs.values():
            hub.hear((person_id, new))

    async def subscribe(self, room_id: str, client: FeedClient) -> Hub:
        """The room's hub, created and loaded on first use; the client is in it when this returns."""
        self._listen()
        hub = self.hubs.get(room_id)
        if hub is None:
            hub = self.hubs[room_id] = Hub(room_id, self.presence, self.options, self.ids)
            hub.loaded = asyncio.ensure_future(hub.start())
        assert hub.loaded is not None
        hub.waiting += 1
        try:
            await asyncio.shield(hub.loaded)
            hub.add(client)
        finally:
            hub.waiting -= 1
            self._drop_if_idle(hub)
        return hub

    def unsubscribe(self, hub: Hub, client: FeedClient) -> None:
        hub.clients.discard(client)
        self._drop_if_idle(hub)

    def _drop_if_idle(self, hub: Hub) -> None:
        """A hub lives while it has clients or clients waiting for it to load."""
        if not hub.clients and not hub.waiting and self.hubs.get(hub.room_id) is hub:
            del self.hubs[hub.room_id]
            hub.close()

    # one connection ----------------------------------------------------------------------------

    async def serve(self, websocket: WebSocket, room_id: str) -> None:
        """A feed from handshake to close; every failure ends in a close code, never in a trace."""
        offered = list(websocket.scope.get("subprotocols", []))
        await websocket.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)
        try:
            code, reason = await self._run(websocket, room_id, offered_token(offered))
        except WebSocketDisconnect:
            return
        except StoreUnavailableError:
            code, reason = CLOSE_TRY_LATER, "presence is temporarily unavailable"
        except Exception:
            log.exception("a live feed failed")
            code, reason = CLOSE_INTERNAL, "unexpected failure"
        if self.metrics is not None:
            self.metrics.feed_closed.labels(reason=_CLOSE_LABELS.get(code, "other")).inc()
        if websocket.application_state is WebSocketState.CONNECTED:
            # A client that reads nothing never lets the close frame out: give up on it after a while
            # (the server then drops the connection once its small send buffer is flushed or lost).
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CLOSE_TIMEOUT_S):
                    await websocket.close(code, reason)


    async def _run(self, websocket: WebSocket, room_id: str, token: str | None) -> tuple[int, str]:
        if token_in_url(websocket.scope):
            return CLOSE_BAD_REQUEST, "never put a token in a URL"
        if token is None:
            token = await _first_message_token(websocket)
        device = await self.presence.authenticate(token) if token else None
        if device is None:
            return CLOSE_UNAUTHORIZED, "unknown or revoked token"
        try:
            check_room_id(room_id)
        except PresenceError:
            return CLOSE_BAD_REQUEST, "bad room id"
        if not await self.presence.rooms.may_enter(device.owner, room_id):
            return CLOSE_FORBIDDEN, "you were not seen in this chat"
        # The slot is taken in the same step as the check (no await between): feeds opened at once
        # cannot all pass the check before any of them counts.
        if self._per_token[device.token_hash] >= self.options.max_feeds_per_token:
            return CLOSE_TOO_MANY, "too many live feeds for this token"
        self._per_token[device.token_hash] += 1
        try:
            await self.presence.room_heartbeat(device.owner, device.device_id, room_id)
            client = FeedClient(websocket, device, self.options)
            hub = await self.subscribe(room_id, client)
            try:
                return await self._until_closed(client, room_id)
            finally:
                self.unsubscribe(hub, client)
        finally:
            self._per_token[device.token_hash] -= 1
            if not self._per_token[device.token_hash]:
                del self._per_token[device.token_hash]

    async def _until_closed(self, client: FeedClient, room_id: str) -> tuple[int, str]:
        if self.metrics is not None:
            self.metrics.feed_clients.inc()
        tasks = [asyncio.ensure_future(work) for work in (
            client.fell_behind.wait(), client.write(), self._read(client), self._keep_alive(client, room_id))]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            outcome = done.pop().result()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self.metrics is not None:
                self.metrics.feed_clients.dec()
        if isinstance(outcome, tuple):
            return outcome
        return CLOSE_TRY_LATER, "fell behind: reconnect for a fresh snapshot"  # writer and reader never return

    async def _read(self, client: FeedClient) -> tuple[int, str] | None:
        """Answers pings; anything else gets an error message. Raises WebSocketDisconnect when the client goes."""
        while True:
            received = await client.websocket.receive()
            if received["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(received.get("code", 1000))
            message = _parse(received.get("text") or "")
            if message is not None and message.get("type") == "ping":
                client.offer(encode({"type": "pong", "at": self.presence.clock()}))
            else:
                client.offer(encode({"type": "error", "error": {
                    "code": "unknown_message", "message": 'send {"type": "ping"}; presence changes go to '
                                                         "POST /v1/heartbeat"}}))

    async def _keep_alive(self, client: FeedClient, room_id: str) -> tuple[int, str]:
        """Every interval: the token must still work, the room still be allowed, and the device stays in it."""
        interval = (self.options.keepalive_ms or self.presence.policy.heartbeat_interval_ms) / 1000
        device = client.device
        while True:
            await asyncio.sleep(interval)
            try:
                if not await self.presence.tokens.is_live(device.token_hash):
                    return CLOSE_UNAUTHORIZED, "the token was revoked"
                if not await self.presence.rooms.may_enter(device.owner, room_id):
                    return CLOSE_FORBIDDEN, "you are no longer in this chat"
                await self.presence.room_heartbeat(device.owner, device.device_id, room_id)
            except StoreUnavailableError as error:
                log.warning("live feed keepalive skipped: %s", error)


_CLOSE_LABELS = {CLOSE_BAD_REQUEST: "bad_request", CLOSE_UNAUTHORIZED: "unauthorized", CLOSE_FORBIDDEN: "forbidden",
                 CLOSE_TOO_MANY: "too_many", CLOSE_TRY_LATER: "try_later", CLOSE_INTERNAL: "internal"}


def _parse(text: str) -> dict[str, Any] | None:
    if len(text) > CLIENT_MESSAGE_MAX:
        return None
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return message if isinstance(message, dict) else None


async def _first_message_token(websocket: WebSocket) -> str | None:
    """``{"type": "auth", "token": "…"}`` as the first message, within 10 seconds."""
    try:
        async with asyncio.timeout(AUTH_TIMEOUT_S):
            message = _parse(await websocket.receive_text())
    except TimeoutError:
        return None
    if message is None or message.get("type") != "auth" or not isinstance(message.get("token"), str):
        return None
    return str(message["token"])
