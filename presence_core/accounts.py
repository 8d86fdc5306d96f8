"""Linked accounts and erasure: link codes, joining two people into one, splitting an account off,
and ``forget`` (SPEC sections 6 and 7). ``PresenceService`` delegates here; the record rules are in
``presence_core.linking``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from presence_core import availability, linking, rooms, rules
from presence_core.arguments import require_id, require_str
from presence_core.errors import (
    AlreadyLinkedError,
    ConcurrentUpdateError,
    InvalidLinkCodeError,
    LinkRateLimitedError,
    LinkSameAccountError,
    UnknownDeviceError,
)
from presence_core.models import RoomChange
from presence_core.policy import CAS_ATTEMPTS
from presence_core.views import device_names

if TYPE_CHECKING:
    from presence_core.service import PresenceService


class Accounts:
    def __init__(self, service: PresenceService) -> None:
        self.service = service

    async def create_link_code(self, user_id: str) -> str:
        """A one-time code that another account redeems with ``link_account`` within 10 minutes."""
        code = linking.new_code()
        await self.service.store.put_code(linking.hash_code(code), require_id(user_id, "user_id"),
                                  self.service.clock() + linking.CODE_TTL_MS)
        return code

    async def link(self, user_id: str, code: str) -> str:
        """Join this account into the person who made ``code``; returns that person's id."""
        now = self.service.clock()
        attempts = await self.service.count_hit("link", require_id(user_id, "user_id"), linking.ATTEMPT_WINDOW_MS)
        if attempts > linking.ATTEMPTS_PER_WINDOW:
            window_end = (now // linking.ATTEMPT_WINDOW_MS + 1) * linking.ATTEMPT_WINDOW_MS
            raise LinkRateLimitedError(window_end)
        owner = await self.service.store.take_code(linking.hash_code(require_str(code, "code")), now)
        if owner is None:
            raise InvalidLinkCodeError()
        persons = await self.service.store.resolve([owner, user_id])
        if owner == user_id:
            raise LinkSameAccountError()
        if persons[owner] == persons[user_id]:
            raise AlreadyLinkedError()
        await self.service.flush()
        into_id, absorbed_id = persons[owner], persons[user_id]
        for _ in range(CAS_ATTEMPTS):
            records = await self.service.store.load([into_id, absorbed_id])
            into = records.get(into_id) or await self.service._new_record(into_id)
            absorbed = records.get(absorbed_id) or await self.service._new_record(absorbed_id)
            expected, now = into.version, self.service.clock()
            before = rooms.members(into, now, self.service.policy)
            linking.merge_records(into, absorbed)
            events = rules.settle(into, now, self.service.policy)
            if await self.service.store.merge(into, expected, absorbed_id):
                room_events = [*rooms.changes(absorbed_id, rooms.members(absorbed, now, self.service.policy), {}, now),
                               *rooms.changes(into_id, before, rooms.members(into, now, self.service.policy), now)]
                await self.service._emit(events)
                if availability.uses_availability(into):  # every account of theirs joins their desks
                    await self.service.store.set_desk(await self.service.memberships(into_id), True)
                await self.service._publish(room_events)
                return into_id
        raise ConcurrentUpdateError(f"the state of {user_id!r} kept changing; try again")

    async def unlink(self, user_id: str, account_id: str) -> None:
        """Make a linked account a person of its own again, with its own devices."""
        person_id = await self.service.person_id(user_id)
        for _ in range(CAS_ATTEMPTS):
            record = (await self.service.store.load([person_id])).get(person_id)
            if record is None or account_id not in record.linked:
                raise UnknownDeviceError(account_id)
            expected, now = record.version, self.service.clock()
            before = rooms.members(record, now, self.service.policy)
            split_off = linking.split_record(record, account_id)
            events = rules.settle(record, now, self.service.policy) + rules.settle(split_off, now, self.service.policy)
            if await self.service.store.split(record, expected, split_off):
                room_events = [*rooms.changes(person_id, before, rooms.members(record, now, self.service.policy), now),
                               *rooms.changes(split_off.id, {}, rooms.members(split_off, now, self.service.policy), now)]
                await self.service._emit(events)
                await self.service._publish(room_events)
                return
        raise ConcurrentUpdateError(f"the state of {user_id!r} kept changing; try again")

    async def linked(self, user_id: str) -> list[str]:
        """Every account of the person, the one they were first known by first."""
        _, record = await self.service._load(user_id)
        return record.accounts if record else [user_id]

    async def names(self, user_id: str) -> dict[str, str]:
        """Every account of the person -> its device name, unique within the person and typeable
        (``telegram``, ``console alice``; SPEC section 6), the first known account first."""
        _, record = await self.service._load(user_id)
        if record is None:
            return {user_id: self.service._device_name(user_id)}
        names = device_names(record)
        return {a: names[a] for a in record.accounts}

    async def forget(self, user_id: str) -> list[str]:
        """Erase everything stored about the person this account belongs to; returns their accounts.
        They leave every room.

        When their tracking was off it stays off: each account keeps a do-not-track marker, the one
        thing kept, so their next message creates nothing (SPEC section 7).
        """
        await self.service.flush()
        person_id, record = await self.service._load(user_id)
        if record is None:
            untracked = bool(await self.service.store.do_not_track([person_id]))
        else:
            untracked = not record.tracking
        accounts = record.accounts if record else [person_id]
        # Activity still kept from an outage would bring the person back after the erase.
        await self.service.recorder.backlog.discard({user_id, *accounts})
        tokens = await self.service.tokens.hashes(accounts)
        now = self.service.clock()  # they leave every room at once
        left = rooms.changes(person_id, rooms.members(record, now, self.service.policy), {}, now) if record else []
        # and every chat they were seen in, with a device there or not
        chats = await self.service.store.memberships(person_id, now - self.service.policy.membership_ttl_ms)
        left += [RoomChange(room, person_id, None, now) for room in sorted(
            {m.channel_id for m in chats} - {change.room_id for change in left})]
        await self.service.store.forget_availability(person_id, accounts)
        await self.service.store.forget(person_id, do_not_track=untracked, events=left)
        await self.service._emit(left)
        await self.service.tokens.revoked(tokens)  # every process drops them from its token cache
        return accounts
