"""Chat rooms' joins by talking (SPEC sections 10 and 11): someone who becomes listed in a chat by
their activity there is announced as a ``RoomChange``, so live feeds follow the room's listing.

A chat room lists the accounts seen in it within ``policy.channel_window_ms``. Each process
remembers, per (channel, account), when it last wrote their activity there: an activity within the
window of that finds them listed already and costs a dictionary lookup. Only the others (new
people, people back after the window, anyone this process has not met since it started) cost one
read of their memberships before the batch is written and, if they were not listed, one load and
one announcement (to every process, through the store) after it: a join happens once per membership.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from presence_core import rooms
from presence_core.models import Activity, RoomChange

if TYPE_CHECKING:
    from presence_core.service import PresenceService

# (channel, account) pairs remembered at most; one forgotten costs a membership read when next seen.
REMEMBERED_MAX = 100_000


class ChatJoins:
    def __init__(self, service: PresenceService) -> None:
        self._service = service
        self._seen: OrderedDict[tuple[str, str], int] = OrderedDict()
        service.on("room_change", self._heard)

    def _heard(self, change: RoomChange) -> None:
        """Someone left a chat (``end_membership``, ``forget``): whoever of it speaks next is checked again."""
        if change.member is None and not rooms.is_app_room(change.room_id):
            for key in [key for key in self._seen if key[0] == change.room_id]:
                del self._seen[key]

    async def unlisted(self, batch: Sequence[Activity]) -> list[Activity]:
        """The activities of ``batch`` (one per channel and account) whose account is not listed in
        their chat yet; read before the batch is written. Raises ``StoreUnavailableError``."""
        window = self._service.policy.channel_window_ms
        unsure: dict[tuple[str, str], Activity] = {}
        for activity in batch:
            channel = activity.channel_id
            if channel is None or rooms.is_app_room(channel):
                continue
            key = (channel, activity.user_id)
            seen = self._seen.get(key)
            if seen is None or activity.timestamp - seen > window:
                unsure.setdefault(key, activity)
            else:
                self._seen.move_to_end(key)
        if not unsure:
            return []
        store = self._service.store
        people = await store.resolve([account for _, account in unsure])
        oldest = min(activity.timestamp for activity in unsure.values()) - window
        listed = {(m.channel_id, m.account_id): m.last_seen
                  for found in (await store.memberships_of(list(set(people.values())), oldest)).values()
                  for m in found}
        return [activity for key, activity in unsure.items()
                if listed.get(key, oldest - 1) < activity.timestamp - window]

    async def written(self, batch: Sequence[Activity], unlisted: Sequence[Activity]) -> None:
        """After ``batch`` was written: remember its chat activity, and announce the joins of ``unlisted``."""
        for activity in batch:
            if activity.channel_id is not None and not rooms.is_app_room(activity.channel_id):
                key = (activity.channel_id, activity.user_id)
                self._seen[key] = max(activity.timestamp, self._seen.get(key, activity.timestamp))
                self._seen.move_to_end(key)
        while len(self._seen) > REMEMBERED_MAX:
            self._seen.popitem(last=False)
        if unlisted:
            await self._service._publish(await self._joins(unlisted))

    async def _joins(self, unlisted: Sequence[Activity]) -> list[RoomChange]:
        service = self._service
        store, now = service.store, service.clock()
        people = await store.resolve([activity.user_id for activity in unlisted])
        records = await store.load(list(set(people.values())))
        joins = []
        for activity in unlisted:
            record = records.get(people.get(activity.user_id, ""))
            if record is not None and record.tracking and activity.channel_id is not None:
                member = rooms.live_member(record, activity.channel_id, now, service.policy, activity.user_id)
                if member is not None:
                    joins.append(RoomChange(activity.channel_id, record.id, member, now))
        return joins
