"""Room presence of app devices (SPEC section 11), the service's concern behind its room methods.

The rules are in ``presence_core.rooms``; this module loads, changes and saves through the
service (so every change is a compare-and-set of one person, announced once), records the
heartbeats, and lists rooms.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from presence_core import rooms
from presence_core.coalescing import Coalesced
from presence_core.errors import InvalidLocationError, RoomForbiddenError
from presence_core.models import Activity, PersonRecord, RoomMember
from presence_core.rooms import KEEP, Keep

if TYPE_CHECKING:
    from presence_core.service import PresenceService

# People a room lists at most (most recently seen first); a bigger room is cut, never an error.
ROOM_LIST_MAX = 10_000


class RoomPresence:
    def __init__(self, service: PresenceService) -> None:
        self._service = service
        # Heartbeats arrive many at once (HTTP): their loads go to the store together.
        self._records: Coalesced[str, PersonRecord] = Coalesced(self._load_many)

    async def _load_many(self, user_ids: Sequence[str]) -> dict[str, PersonRecord]:
        """The records of these accounts' people, by account (people not stored are left out)."""
        store = self._service.store
        people = await store.resolve(user_ids)
        records = await store.load(list(dict.fromkeys(people.values())))
        return {user: records[person] for user, person in people.items() if person in records}

    async def heartbeat(self, user_id: str, device_id: str, room_id: str | None = None,
                        location: object = KEEP, *, admit: Callable[[], Awaitable[None]] | None = None) -> list[str]:
        """A heartbeat of an app device: it and every room it is in stay alive; with ``room_id`` it also
        joins that room, or moves there when ``location`` (a JSON-able value, None to clear) differs.

        Returns the rooms the device is in. Raises ``InvalidRoomIdError`` for a bad room id,
        ``InvalidLocationError`` for a bad location or one outside an app room, ``RoomForbiddenError``
        for a channel the person may not enter. Nothing is recorded while the person has tracking off.
        ``admit`` (a rate limit, say) is awaited once every check has passed and before anything is
        read or written, so a refused heartbeat never reaches it; what it raises refuses the heartbeat.
        """
        service = self._service
        if room_id is not None:
            rooms.check_room_id(room_id)
        encoded: str | None | Keep = location if isinstance(location, Keep) else rooms.encode_location(location)
        if room_id is not None and not rooms.is_app_room(room_id) and encoded not in (KEEP, None):
            raise InvalidLocationError("a location is shown only in app rooms (app:NAME)")
        if room_id is not None and not await self.may_enter(user_id, room_id):
            raise RoomForbiddenError(room_id)
        if admit is not None:
            await admit()
        record = await self._records.get(user_id)
        if record is not None and not record.tracking:
            return []
        device = record.devices.get(device_id) if record is not None else None
        joined = sorted(device.rooms) if device is not None else []
        name = service._device_name(device_id)
        if room_id is not None and rooms.needs_write(device.rooms if device else {}, room_id, encoded):
            def join(person: PersonRecord, now: int) -> None:
                if person.tracking:
                    rooms.join(person, device_id, name, room_id, encoded, now)
            saved = await service._update(user_id, join)
            joined = sorted(saved.devices[device_id].rooms) if device_id in saved.devices else []
        # One heartbeat per app room keeps the person in that room's channel index (where listings
        # start); platform channels are left alone: an API never makes anyone "seen" in a chat.
        now = service.clock()
        channels = [room for room in joined if rooms.is_app_room(room)] or [None]
        beats = [Activity(user_id, device_id, name, "heartbeat", now, room, logged=False) for room in channels]
        if len(beats) == 1:  # the usual case, without gather's task per call
            await service.recorder.submit(beats[0])
        else:
            await asyncio.gather(*map(service.recorder.submit, beats))
        return joined

    async def leave(self, user_id: str, device_id: str, room_id: str | None = None) -> list[str]:
        """The device leaves ``room_id`` (every room when None) at once; returns the rooms it is still in."""
        if room_id is not None:
            rooms.check_room_id(room_id)
        _, record = await self._service._load(user_id)
        device = record.devices.get(device_id) if record is not None else None
        if device is None or not device.rooms or (room_id is not None and room_id not in device.rooms):
            return sorted(device.rooms) if device is not None else []
        saved = await self._service._update(user_id, lambda person, now: rooms.leave(person, device_id, room_id))
        return sorted(saved.devices[device_id].rooms) if device_id in saved.devices else []

    async def may_enter(self, user_id: str, room_id: str) -> bool:
        """App rooms are open to anyone; a platform channel only to people seen there who have not left
        it (SPEC sections 10 and 11): a removed member loses access at once.

        The one place that decides room access: the HTTP API asks it before every read and write.
        """
        return rooms.is_app_room(room_id) or await self._service.is_member(user_id, room_id)

    async def members(self, room_id: str) -> list[RoomMember]:
        """Everyone the room holds now, shown or not (people offline to others included): for feeds,
        which must notice when such a person comes back. Never hand these out unfiltered."""
        service = self._service
        now = service.clock()
        app = rooms.is_app_room(room_id)
        since = now - (service.policy.room_lease_ms if app else service.policy.channel_window_ms)
        people, _ = await service.store.channel_people(rooms.check_room_id(room_id), since, ROOM_LIST_MAX)
        found = (rooms.live_member(record, room_id, now, service.policy, account) for account, record in people)
        return [m for m in found if m is not None]

    async def listing(self, room_id: str, viewer_id: str) -> list[RoomMember]:
        """The people of the room that ``viewer_id`` may see, most reachable first.

        Raises ``RoomForbiddenError`` when the viewer may not enter the room.
        """
        if not await self.may_enter(viewer_id, rooms.check_room_id(room_id)):
            raise RoomForbiddenError(room_id)
        return sorted((m for m in await self.members(room_id) if rooms.visible(m)), key=rooms.listing_order)
