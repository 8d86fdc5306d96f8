"""Discord client statuses (desktop, mobile, web) -> devices of the person in the core (SPEC sections 6, 10).

A status Discord reports is a lease: it counts while Discord says the client is there, so it is
written with an expiry and renewed while this bot is connected and keeps hearing nothing new. A
bot that stops (or loses its connection) stops renewing, and the core lets the report lapse into
the idle timers: a restart never leaves a ghost online. When the bot starts a new gateway session,
what Discord said before may be stale: everyone believed there is asked about again, and anyone
Discord no longer reports is offline.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

import discord

from presence_adapters.discord.sessions import user_key
from presence_core import PresenceService
from presence_core.policy import MINUTE_MS

CLIENTS = ("desktop", "mobile", "web")
# Discord's words for a client's status -> the core's. Invisible people look offline to bots.
_STATUS = {"online": "online", "idle": "away", "dnd": "dnd", "offline": "offline", "invisible": "offline"}
Snapshot = tuple[str, ...]
GONE: Snapshot = ("offline",) * len(CLIENTS)
# How long a report counts without renewal, and how long before it lapses it is renewed.
LEASE_MS = 30 * MINUTE_MS
RENEW_WITHIN_MS = LEASE_MS // 2
# People asked about in one request for guild members (Discord's limit).
QUERY_LIMIT = 100

# (guild id, user ids) -> the client status of each of them Discord reports there now.
Lookup = Callable[[int, Sequence[int]], Awaitable[Mapping[int, discord.ClientStatus]]]


def device_id(user_id: int, client: str) -> str:
    return f"{user_key(user_id)}/{client}"


def snapshot(client_status: discord.ClientStatus) -> Snapshot:
    return tuple(_STATUS.get(getattr(client_status, client) or "offline", "offline") for client in CLIENTS)


def _is_there(clients: Snapshot) -> bool:
    return any(status != "offline" for status in clients)


@dataclass(slots=True)
class _Clients:
    discord: Snapshot          # what Discord reported last
    core: Snapshot | None      # what the core holds, None when not known
    lease_until: int | None = None   # when the core's reports lapse unless renewed
    guild_id: int | None = None      # a guild where Discord reported them, to ask again there
    # One write at a time per person, so a late write never overtakes a newer report.
    writing: asyncio.Lock = field(default_factory=asyncio.Lock)


class ClientStatusFeed:
    """Writes a person's client statuses to the core when they change, and renews them while they last.

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

    async def update(self, user_id: int, client_status: discord.ClientStatus, guild_id: int | None = None) -> None:
        await self._report(user_id, snapshot(client_status), guild_id)

    async def _report(self, user_id: int, current: Snapshot, guild_id: int | None = None) -> None:
        known = self._people.get(user_id)
        if known is not None:
            self._people.move_to_end(user_id)
            known.guild_id = guild_id or known.guild_id
            if known.discord == current:
                return
        else:
            known = self._people[user_id] = _Clients(current, None, guild_id=guild_id)
            while len(self._people) > self.remember:
                self._people.popitem(last=False)
        known.discord = current
        await self._apply(user_id, known)

    async def seen(self, user_id: int) -> None:
        """The person was just active through the bot; their clients may not be in the core yet."""
        known = self._people.get(user_id)
        if known is not None and known.core != known.discord:
            await self._apply(user_id, known)

    async def renew(self) -> None:
        """Extend the leases that lapse within ``RENEW_WITHIN_MS``: Discord still says these clients are there."""
        soon = self.service.clock() + RENEW_WITHIN_MS
        for user_id, known in list(self._people.items()):
            if known.lease_until is not None and known.lease_until <= soon:
                await self._apply(user_id, known, renew=True)

    async def reconnected(self, lookup: Lookup) -> None:
        """A new gateway session: ask Discord again about everyone believed there; those it does not
        report (left, gone offline while the bot was away, or a lookup that failed) are offline."""
        asked: dict[int, list[int]] = defaultdict(list)
        for user_id, known in self._people.items():
            if _is_there(known.discord) and known.guild_id is not None:
                asked[known.guild_id].append(user_id)
        for guild_id, user_ids in asked.items():
            found: dict[int, discord.ClientStatus] = {}
            for start in range(0, len(user_ids), QUERY_LIMIT):
                found.update(await lookup(guild_id, user_ids[start:start + QUERY_LIMIT]))
            for user_id in user_ids:
                status = found.get(user_id)
                await self._report(user_id, GONE if status is None else snapshot(status))

    async def _apply(self, user_id: int, known: _Clients, *, renew: bool = False) -> None:
        person = user_key(user_id)
        async with known.writing:
            status = await self.service.get_status(person, viewer_id=person)
            if status.device_count == 0 or not status.tracking:
                known.core, known.lease_until = None, None
                return
            if known.core is None:
                known.core = await self._stored(user_id)
            target = known.discord
            lease_until = self.service.clock() + LEASE_MS
            # Every client that is there gets a fresh lease with any write, so they lapse together.
            rewrite = renew or target != known.core
            for client, now, before in zip(CLIENTS, target, known.core, strict=True):
                if now != before or (rewrite and now != "offline"):
                    await self.service.set_device_status(person, device_id(user_id, client), now,
                                                         expires_at_ms=None if now == "offline" else lease_until)
            known.core = target
            known.lease_until = lease_until if _is_there(target) else None

    async def _stored(self, user_id: int) -> Snapshot:
        """The clients the core holds; one it never had counts as offline, so it is not created offline."""
        devices = {d.id: d.status.value for d in await self.service.get_devices(user_key(user_id))}
        return tuple(devices.get(device_id(user_id, client), "offline") for client in CLIENTS)
