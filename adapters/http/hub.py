"""Fan-out of one room's live view in one process: a ``Hub`` per room, a bounded queue per client.

A hub hears the service's events, marks the people they concern, and at most every
``interval_ms`` encodes one diff of everyone who changed meanwhile, once, and offers the same text
to every client. Each client has its own bounded queue and writer task: a slow client never stalls
the others, and one whose queue overflows is marked as fallen behind (``presence_adapters.http.feed``
then closes it). Every heartbeat interval the hub also reloads the room from the store, so a missed
event or a newcomer to a chat is shown within one interval.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from dataclasses import dataclass, replace
from typing import Any

from starlette.websockets import WebSocket

from presence_adapters.http.models import person_entry
from presence_adapters.http.room_ids import RoomIds
from presence_core import PresenceService, StoreUnavailableError
from presence_core.models import RoomChange, RoomMember
from presence_core.rooms import is_app_room, visible
from presence_core.status import Status
from presence_core.tokens import ApiDevice

log = logging.getLogger(__name__)


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


def encode(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


class Hub:
    """One room's live view in this process, shared by all of the room's feeds here."""

    def __init__(self, room_id: str, presence: PresenceService, options: FeedOptions, ids: RoomIds) -> None:
        self.room_id = room_id
        self.app_room = is_app_room(room_id)
        self.clients: set[FeedClient] = set()
        self._presence = presence
        self._options = options
        self._ids = ids
        # Everyone the room holds (people shown as offline included: they may come back), by person id.
        self._members: dict[str, RoomMember] = {}
        # What the clients have: the visible people's entries as of the last diff, by person id
        # (on the wire they are keyed by ``user_id``: the id the room shows them by, ``room_ids``).
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
            self._state = encode({"type": "presence_state", "room_id": self.room_id, "at": self._presence.clock(),
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
            if known is not None and member is not None and not self.app_room:
                # In a chat the person keeps the account that chat knows (a change without a member
                # is a leave of the chat: ``rooms.staying``).
                member = replace(member, user_id=known.user_id, name=known.name)
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
            entry = person_entry(member, self.room_id, self._ids) if member and visible(member) else None
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
            text = encode({"type": "presence_diff", "room_id": self.room_id, "at": self._presence.clock(),
                            "joins": joins, "leaves": leaves, "changes": changes})
            for client in self.clients:
                client.offer(text)
