"""Desk index and watches of the memory store (SPEC section 12), as a mixin of ``MemoryStore``."""

from __future__ import annotations

from collections.abc import Sequence

from presence_core import availability
from presence_core.models import DeskView, Membership, PersonRecord, Watch


def platform_of(account_id: str) -> str:
    """``telegram`` for ``telegram:42``: where a watcher is sent their message."""
    return account_id.partition(":")[0]


class MemoryAvailability:
    """Expects ``_people`` and ``_aliases`` from MemoryStore."""

    _people: dict[str, PersonRecord]
    _aliases: dict[str, str]

    def __init__(self) -> None:
        # channel -> account -> last seen there; (watcher, target) -> watch
        self._desks: dict[str, dict[str, int]] = {}
        self._watches: dict[tuple[str, str], Watch] = {}

    def _desk_seen(self, channel_id: str, account_id: str, ts: int) -> None:
        desk = self._desks.setdefault(channel_id, {})
        desk[account_id] = max(ts, desk.get(account_id, ts))

    async def desk_view(self, channel_id: str, since: int, now: int) -> DeskView:
        desk = self._desks.get(channel_id, {})
        found: dict[str, tuple[str, PersonRecord]] = {}
        for account in sorted((a for a, ts in desk.items() if ts >= since), key=desk.__getitem__, reverse=True):
            person_id = self._aliases.get(account, account)
            if person_id in self._people and person_id not in found:
                found[person_id] = (account, self._people[person_id].copy())
        return availability.desk_view(found.values(), now)

    async def set_desk(self, memberships: Sequence[Membership], listed: bool) -> None:
        for m in memberships:
            if listed:
                self._desk_seen(m.channel_id, m.account_id, m.last_seen)
            else:
                self._desks.get(m.channel_id, {}).pop(m.account_id, None)

    async def move_desk(self, old_id: str, new_id: str | None) -> None:
        for account, ts in self._desks.pop(old_id, {}).items():
            if new_id is not None:
                self._desk_seen(new_id, account, ts)

    def _expire_watches(self, now: int) -> None:
        for key in [k for k, w in self._watches.items() if w.expires_at <= now]:
            del self._watches[key]

    async def add_watch(self, watch: Watch, limit: int, now: int) -> bool:
        self._expire_watches(now)
        others = sum(1 for w, t in self._watches if w == watch.watcher_id and t != watch.target_id)
        if others >= limit:
            return False
        self._watches[(watch.watcher_id, watch.target_id)] = watch
        return True

    async def watches(self, watcher_ids: Sequence[str], now: int) -> list[Watch]:
        self._expire_watches(now)
        return [w for (watcher, _), w in self._watches.items() if watcher in watcher_ids]

    async def watchers(self, target_ids: Sequence[str], now: int) -> list[Watch]:
        self._expire_watches(now)
        return [w for (_, target), w in self._watches.items() if target in target_ids]

    async def remove_watch(self, watcher_id: str, target_id: str) -> bool:
        return self._watches.pop((watcher_id, target_id), None) is not None

    async def claim_watches(self, target_ids: Sequence[str], platforms: Sequence[str], now: int) -> list[Watch]:
        self._expire_watches(now)
        claimed = [w for (watcher, target), w in self._watches.items()
                   if target in target_ids and platform_of(watcher) in platforms]
        for w in claimed:
            del self._watches[(w.watcher_id, w.target_id)]
        return claimed

    async def forget_availability(self, person_id: str, account_ids: Sequence[str]) -> None:
        gone = set(account_ids)
        for key in [k for k in self._watches if k[0] in gone or k[1] in gone]:
            del self._watches[key]
        for desk in self._desks.values():
            for account in gone:
                desk.pop(account, None)
