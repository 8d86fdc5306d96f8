"""Discord client statuses (desktop, mobile, web) -> devices of the person in the core (SPEC section 6)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass, field

import discord

from presence_adapters.discord.sessions import user_key
from presence_core import PresenceService

CLIENTS = ("desktop", "mobile", "web")
# Discord's words for a client's status -> the core's. Invisible people look offline to bots.
_STATUS = {"online": "online", "idle": "away", "dnd": "dnd", "offline": "offline", "invisible": "offline"}
Snapshot = tuple[str, ...]


def device_id(user_id: int, client: str) -> str:
    return f"{user_key(user_id)}/{client}"


def snapshot(client_status: discord.ClientStatus) -> Snapshot:
    return tuple(_STATUS.get(getattr(client_status, client) or "offline", "offline") for client in CLIENTS)


@dataclass(slots=True)
class _Clients:
    discord: Snapshot          # what Discord reported last
    core: Snapshot | None      # what the core holds, None when not known
    # One write at a time per person, so a late write never overtakes a newer report.
    writing: asyncio.Lock = field(default_factory=asyncio.Lock)


class ClientStatusFeed:
    """Writes a person's client statuses to the core when, and only when, they change.

    Discord sends a presence update for every game, song and custom-status change too, and for
    every member of every server, including people who never used the bot. So the last report
    per person is remembered (for a bounded number of people) and identical reports cost
    nothing; and only people the core already knows, with tracking on, get devices: presence
    alone never creates a record (nor brings back one erased by ``forget``). When such a person
    shows up, ``seen`` writes what Discord last said about their clients.
    """

    def __init__(self, service: PresenceService, *, remember: int = 100_000) -> None:
        self.service = service
        self.remember = remember
        self._people: OrderedDict[int, _Clients] = OrderedDict()

    async def update(self, user_id: int, client_status: discord.ClientStatus) -> None:
        current = snapshot(client_status)
        known = self._people.get(user_id)
        if known is not None and known.discord == current:
            self._people.move_to_end(user_id)
            return
        if known is None:
            known = _Clients(current, None)
            self._people[user_id] = known
            while len(self._people) > self.remember:
                self._people.popitem(last=False)
        known.discord = current
        self._people.move_to_end(user_id)
        await self._apply(user_id, known)

    async def seen(self, user_id: int) -> None:
        """The person was just active through the bot; their clients may not be in the core yet."""
        known = self._people.get(user_id)
        if known is not None and known.core != known.discord:
            await self._apply(user_id, known)

    async def _apply(self, user_id: int, known: _Clients) -> None:
        person = user_key(user_id)
        async with known.writing:
            status = await self.service.get_status(person, viewer_id=person)
            if status.device_count == 0 or not status.tracking:
                known.core = None
                return
            if known.core is None:
                known.core = await self._stored(user_id)
            target = known.discord
            for client, now, before in zip(CLIENTS, target, known.core, strict=True):
                if now != before:
                    await self.service.set_device_status(person, device_id(user_id, client), now)
            known.core = target

    async def _stored(self, user_id: int) -> Snapshot:
        """The clients the core holds; one it never had counts as offline, so it is not created offline."""
        devices = {d.id: d.status.value for d in await self.service.get_devices(user_key(user_id))}
        return tuple(devices.get(device_id(user_id, client), "offline") for client in CLIENTS)
