"""Watches (SPEC section 12): "tell me once when they are next available", within a time.

A watch is made by one account on another account seen in a channel both share, where the
watcher may see the target (``Visibility.in_channel``). It fires once, when the target's person next becomes
available: ``available`` for people who use availability, online for everyone else. Invisible,
untracked and forgotten people are never available, so they never fire one. Firing is claiming:
``claim`` takes the watches out of the store, each for exactly one process across all of them,
and only those made on platforms the caller can deliver to; the caller sends the messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from presence_core import availability, rules
from presence_core.desk import available_now
from presence_core.errors import InvalidArgumentError, TooManyWatchesError, UnknownPersonError
from presence_core.models import PersonRecord, Watch
from presence_core.policy import DAY_MS, MINUTE_MS
from presence_core.status import Status

if TYPE_CHECKING:
    from presence_core.service import PresenceService

MAX_WATCHES = 10
DEFAULT_WATCH_MS = DAY_MS
MAX_WATCH_MS = 30 * DAY_MS
MIN_WATCH_MS = MINUTE_MS


def is_available(record: PersonRecord, now: int, service: PresenceService) -> bool:
    """What a watch waits for: available for people who use availability, else publicly online."""
    if availability.uses_availability(record):
        return available_now(record, now, service)
    return rules.public_status(record, now, service.policy) is Status.ONLINE


class Watches:
    def __init__(self, service: PresenceService) -> None:
        self.service = service

    async def watch(self, watcher_id: str, target_id: str, channel_id: str, *, duration_ms: int = DEFAULT_WATCH_MS,
                    locale: str | None = None) -> Watch | None:
        """Watch ``target_id`` (an account seen in ``channel_id``) for ``duration_ms``; None when they
        are available right now (nothing to wait for).

        Raises ``UnknownPersonError`` when the watcher may not see the target there (the same as for
        someone never seen), ``TooManyWatchesError`` past ``MAX_WATCHES``, ``InvalidArgumentError``
        for a duration out of range or a watch on oneself.
        """
        service = self.service
        if not isinstance(duration_ms, int) or not MIN_WATCH_MS <= duration_ms <= MAX_WATCH_MS:
            raise InvalidArgumentError(f"a watch lasts from {MIN_WATCH_MS} to {MAX_WATCH_MS} ms")
        persons = await service.store.resolve([watcher_id, target_id])
        if persons[watcher_id] == persons[target_id]:
            raise InvalidArgumentError("a person cannot watch themself")
        if target_id not in await service.visibility.in_channel(watcher_id, channel_id, [target_id]):
            raise UnknownPersonError(target_id)
        now = service.clock()
        record = (await service.store.load([persons[target_id]])).get(persons[target_id])
        if record is not None and is_available(record, now, service):
            return None
        watch = Watch(watcher_id, target_id, channel_id, now + duration_ms, now, locale)
        if not await service.store.add_watch(watch, MAX_WATCHES, now):
            raise TooManyWatchesError(MAX_WATCHES)
        return watch

    async def unwatch(self, watcher_id: str, target_id: str) -> bool:
        return await self.service.store.remove_watch(watcher_id, target_id)

    async def get_watches(self, user_id: str) -> list[Watch]:
        """The watches this account made that have not fired or expired, oldest first."""
        return await self.service.store.watches([user_id], self.service.clock())

    async def get_watchers(self, user_id: str) -> list[Watch]:
        """The watches on any account of this person, oldest first."""
        accounts = await self.service.linked_accounts(user_id)
        return await self.service.store.watchers(accounts, self.service.clock())

    async def claim(self, person_id: str, platforms: list[str]) -> list[Watch]:
        """The watches to deliver now that this person became available, made on these platforms;
        each is handed to exactly one caller across every process. Watches whose watcher may no
        longer see the target in their channel are dropped undelivered."""
        service = self.service
        now = service.clock()
        record = (await service.store.load([person_id])).get(person_id)
        if record is None or not is_available(record, now, service):
            return []
        claimed = await service.store.claim_watches(record.accounts, platforms, now)
        deliver = []
        for watch in claimed:
            shared = await service.visibility.in_channel(None, watch.channel_id, [watch.watcher_id, watch.target_id])
            if len(shared) == 2:
                deliver.append(watch)
        return deliver
