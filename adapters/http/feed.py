"""``WS /v1/rooms/{id}/feed``: a room's presence live (SPEC section 11), fanned out with bounded queues.

Protocol. The client offers the subprotocols ``presence.v1`` and ``bearer.<token>`` (or sends
``{"type": "auth", "token": …}`` first). It then gets ``{"type": "presence_state", "people": {user id:
person}}`` and after that ``{"type": "presence_diff", "joins": {…}, "leaves": {…}, "changes": {…}}``
whenever the room's view of someone changes, in any process sharing the store. It may send
``{"type": "ping"}`` at any time and gets ``{"type": "pong"}``. An open feed keeps its device in the
room (the server heartbeats for it every heartbeat interval), so a client that drops and comes
back within the grace period causes no leave and no join.

Fan-out. Each process keeps one ``Hub`` per room with feeds: it hears the service's events, marks
the people they concern, and at most every ``interval_ms`` encodes one diff of everyone who
changed meanwhile, once, and offers the same text to every client. A 10k-member room costs one
message per interval however many of its members change, never one per member per change. Each
client has its own bounded queue and writer task: a slow client never stalls the others, and
one that falls further behind than its queue allows is closed with 1013 (try again later) and
gets a fresh snapshot when it reconnects. Every heartbeat interval the hub also reloads the room
from the store, so a missed event or a newcomer to a chat is shown within one interval.

Close codes: 4400 bad room id or token in the URL, 4401 missing/unknown/revoked token, 4403 a
chat the token's owner was not seen in, 4429 too many feeds for one token, 1013 fell behind or
presence unavailable, 1011 unexpected failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter, deque
from dataclasses import dataclass, replace
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from presence_adapters.http.auth import SUBPROTOCOL, offered_token, token_in_url
from presence_adapters.http.metrics import HttpMetrics
from presence_adapters.http.models import person_entry
from presence_core import PresenceError, PresenceService, StoreUnavailableError
from presence_core.models import RoomChange, RoomMember
from presence_core.rooms import check_room_id, is_app_room, visible
from presence_core.status import Status
from presence_core.tokens import ApiDevice

log = logging.getLogger(__name__)

CLOSE_BAD_REQUEST, CLOSE_UNAUTHORIZED, CLOSE_FORBIDDEN, CLOSE_TOO_MANY = 4400, 4401, 4403, 4429
CLOSE_TRY_LATER, CLOSE_INTERNAL = 1013, 1011
AUTH_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 10.0
CLIENT_MESSAGE_MAX = 4096


@dataclass(frozen=True, slots=True)
class FeedOptions:
    """``interval_ms``: least time between two diffs of a room; ``queue_messages`` / ``queue_chars``: what
    may wait for one client before it counts as fallen behind; ``keepalive_ms`` / ``resync_ms``: how often
    an open feed heartbeats for its device and a hub reloads its room (None: the heartbeat interval)."""

    interval_ms: int = 25
    queue_messages: int = 256
    queue_chars: int = 4 * 1024 * 1024
    max_feeds_per_token: int = 8
    keepalive_ms: int | None = None
    resync_ms: int | None = None


class FeedClient:
    """One open feed: a bounded queue of encoded messages and the task that writes them out."""

    def __init__(self, websocket: WebSocket, device: ApiDevice, options: FeedOptions) -> None:
        self.websocket = websocket
        self.device = device
        self._options = options
        self._queue: deque[str] = deque()
        self._chars = 0
        self._wake = asyncio.Event()
        # Set when the queue overflowed: the writer may be stuck in a send, so the feed watches this.
        self.fell_behind = asyncio.Event()

    def offer(self, text: str) -> None:
        """Queue a message; past the bounds the client has fallen behind and gets nothing more."""
        if self.fell_behind.is_set():
            return
        if self._queue and (len(self._queue) >= self._options.queue_messages
                            or self._chars + len(text) > self._options.queue_chars):
            self._queue.clear()
            self._chars = 0
            self.fell_behind.set()
            return
        self._queue.append(text)
        self._chars += len(text)
        self._wake.set()

    async def write(self) -> None:
        """Send what is queued, in order, until cancelled."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                text = self._queue.popleft()
                self._chars -= len(text)
                await self.websocket.send_text(text)


def _encode(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


class Hub:
    """One room's live view in this process, shared by all of the room's feeds here."""

    def __init__(self, room_id: str, presence: PresenceService, options: FeedOptions) -> None:
        self.room_id = room_id
        self.app_room = is_app_room(room_id)
        self.clients: set[FeedClient] = set()
        self._presence = presence
        self._options = options
        # Everyone the room holds (people shown as offline included: they may come back), by person id.
        self._members: dict[str, RoomMember] = {}
        # What the clients have: the visible people's entries as of the last diff, by person id
        # (on the wire they are keyed by the account the room knows them by, ``user_id``).
        self._shown: dict[str, dict[str, Any]] = {}
        self._dirty: set[str] = set()
        self._heard_while_loading: list[RoomChange | tuple[str, Status]] | None = None
        self._state: str | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._resync: asyncio.Task[None] | None = None
        self._last_flush = 0.0
        self.loaded: asyncio.Future[None] | None = None
        self.waiting = 0

    async def start(self) -> None:
        await self._load()
        self._flush()
        self._resync = asyncio.create_task(self._resync_forever())

    def close(self) -> None:
        for task in (self.loaded, self._flusher, self._resync):
            if task is not None:
                task.cancel()

    async def _load(self) -> None:
        """Replace the view with the store's, keeping whatever events arrive meanwhile."""
        self._heard_while_loading = []
        try:
            fresh = {m.person_id: m for m in await self._presence.rooms.members(self.room_id)}
        finally:
            heard, self._heard_while_loading = self._heard_while_loading, None
        self._dirty |= {p for p in self._members.keys() | fresh.keys() if self._members.get(p) != fresh.get(p)}
        self._members = fresh
        for event in heard:
            self._apply(event)
        self._schedule()

    async def _resync_forever(self) -> None:
        interval = (self._options.resync_ms or self._presence.policy.heartbeat_interval_ms) / 1000
        while True:
            await asyncio.sleep(interval)
            try:
                await self._load()
            except StoreUnavailableError as error:
                log.warning("feed of a room not reloaded: %s", error)
            except Exception:
                log.exception("feed of a room not reloaded")

    def add(self, client: FeedClient) -> None:
        """The client gets the current state, then every diff after it."""
        if self._state is None:
            self._state = _encode({"type": "presence_state", "room_id": self.room_id, "at": self._presence.clock(),
                                   "people": {e["user_id"]: e for e in self._shown.values()}})
        client.offer(self._state)
        self.clients.add(client)

    # events ----------------------------------------------------------------------------------

    def hear(self, event: RoomChange | tuple[str, Status]) -> None:
        """A room change of this room, or (person id, new status) of anyone."""
        if self._heard_while_loading is not None:
            self._heard_while_loading.append(event)
        if self._apply(event):
            self._schedule()

    def _apply(self, event: RoomChange | tuple[str, Status]) -> bool:
        if isinstance(event, RoomChange):
            person, member = event.person_id, event.member
            known = self._members.get(person)
            if known is not None and not self.app_room:
                # In a chat the person keeps the account that chat knows; without a device there
                # they are still one of its members.
                member = replace(known, devices=()) if member is None else replace(
                    member, user_id=known.user_id, name=known.name)
            if member is None:
                self._members.pop(person, None)
            else:
                self._members[person] = member
        else:
            person, status = event
            known = self._members.get(person)
            if known is None:
                return False
            self._members[person] = replace(known, status=status)
        self._dirty.add(person)
        return True

    # diffs -----------------------------------------------------------------------------------

    def _schedule(self) -> None:
        if self._dirty and (self._flusher is None or self._flusher.done()):
            self._flusher = asyncio.create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(max(0.0, self._last_flush + self._options.interval_ms / 1000 - loop.time()))
        self._last_flush = loop.time()
        self._flush()

    def _flush(self) -> None:
        """One diff of everyone marked since the last one, encoded once and offered to every client."""
        joins: dict[str, Any] = {}
        leaves: dict[str, Any] = {}
        changes: dict[str, Any] = {}
        for person in self._dirty:
            member = self._members.get(person)
            entry = person_entry(member, with_location=self.app_room) if member and visible(member) else None
            old = self._shown.get(person)
            if entry == old:
                continue
            if old is not None and (entry is None or entry["user_id"] != old["user_id"]):
                leaves[old["user_id"]] = self._shown.pop(person)
                old = None
            if entry is not None:
                (joins if old is None else changes)[entry["user_id"]] = self._shown[person] = entry
        self._dirty.clear()
        if joins or leaves or changes:
            self._state = None
            text = _encode({"type": "presence_diff", "room_id": self.room_id, "at": self._presence.clock(),
                            "joins": joins, "leaves": leaves, "changes": changes})
            for client in self.clients:
                client.offer(text)


class Feeds:
    """Every hub of this process, and the service events they hear."""

    def __init__(self, presence: PresenceService, options: FeedOptions, metrics: HttpMetrics | None) -> None:
        self.presence = presence
        self.options = options
        self.metrics = metrics
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
            hub = self.hubs[room_id] = Hub(room_id, self.presence, self.options)
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
        if token_in_url(websocket.query_params):
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
        if self._per_token[device.token_hash] >= self.options.max_feeds_per_token:
            return CLOSE_TOO_MANY, "too many live feeds for this token"
        await self.presence.room_heartbeat(device.owner, device.device_id, room_id)
        client = FeedClient(websocket, device, self.options)
        self._per_token[device.token_hash] += 1
        try:
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
                client.offer(_encode({"type": "pong", "at": self.presence.clock()}))
            else:
                client.offer(_encode({"type": "error", "error": {
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
