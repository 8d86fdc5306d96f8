"""Discord client statuses (desktop, mobile, web) -> devices of the person in the core (SPEC section 6)."""

from __future__ import annotations

import logging
from collections import OrderedDict

import discord

from adapters.discord.sessions import user_key
from presence_core import PresenceService

log = logging.getLogger(__name__)

CLIENTS = ("desktop", "mobile", "web")
# Discord's words for a client's status -> the core's. Invisible people look offline to bots.
_STATUS = {"online": "online", "idle": "away", "dnd": "dnd", "offline": "offline", "invisible": "offline"}
Snapshot = tuple[str | None, ...]


def device_id(user_id: int, client: str) -> str:
    return f"{user_key(user_id)}/{client}"


def snapshot(client_status: discord.ClientStatus) -> Snapshot:
    return tuple(_STATUS.get(getattr(client_status, client) or "offline", "offline") for client in CLIENTS)


class ClientStatusFeed:
    """Writes a person's client statuses to the core when, and only when, they change.

    Discord sends a presence update for every game, song and custom-status change as well; the
    clients rarely change among them, so the last snapshot per person is remembered (a bounded
    number of people) and identical updates cost nothing.
    """

    def __init__(self, service: PresenceService, *, remember: int = 100_000) -> None:
        self.service = service
        self.remember = remember
        self._last: OrderedDict[int, Snapshot] = OrderedDict()

    async def update(self, user_id: int, client_status: discord.ClientStatus) -> None:
        current = snapshot(client_status)
        previous = self._last.get(user_id)
        if previous == current:
            self._last.move_to_end(user_id)
            return
        if previous is None:
            previous = await self._stored(user_id)
        person = user_key(user_id)
        for client, now, before in zip(CLIENTS, current, previous, strict=True):
            if now != before:
                await self.service.set_device_status(person, device_id(user_id, client), now)
        self._last[user_id] = current
        self._last.move_to_end(user_id)
        while len(self._last) > self.remember:
            self._last.popitem(last=False)

    async def _stored(self, user_id: int) -> Snapshot:
        """What the core holds for clients this feed has not seen yet (after a restart, say).

        A client Discord no longer lists must go offline only if the core has it; a client
        never stored is not created just to say it is offline.
        """
        devices = {d.id: d.status.value for d in await self.service.get_devices(user_key(user_id))}
        return tuple(devices.get(device_id(user_id, client), "offline") for client in CLIENTS)
