"""Rooms (SPEC section 11) as pure functions over a PersonRecord: leases, locations, what a room sees.

A room is any channel id. ``app:<name>`` rooms are for apps; any other id is a platform channel.
An app device (an API token) is in a room while it holds a lease there: joined by a heartbeat that
names the room (or by a live feed), ended by a leave, or by the sweep once the device has not been
seen for ``policy.room_lease_ms`` (one missed heartbeat plus the grace period). Leases live on the
device in the person's record, so they are written with the person's compare-and-set, shared by
every process on the store, and expire through the record's ``due`` time like every other timer.

What a room sees of a person (``RoomMember``) is what anyone allowed to see them sees
(``visibility.public_view``: invisible and untracked people offline, privacy ``nobody`` without
custom status) plus their devices there; comparing it before and after a change of the record
tells exactly what to announce: ``changes``.
"""

from __future__ import annotations

import json
import re
from enum import Enum

from presence_core import rules
from presence_core.errors import InvalidLocationError, InvalidRoomIdError
from presence_core.models import PersonRecord, RoomChange, RoomDevice, RoomLease, RoomMember
from presence_core.policy import Policy
from presence_core.status import LISTING_RANK, Status
from presence_core.views import API_DEVICE
from presence_core.visibility import public_view

APP_PREFIX = "app:"
ROOM_ID_MAX_LEN = 200
# A location is a short text or a small object (the seed's cursor position), never a document.
LOCATION_MAX_BYTES = 1024
LOCATION_MAX_DEPTH = 4
_PLATFORM = re.compile(r"[a-z][a-z0-9_-]{0,31}")


class Keep(Enum):
    """The location argument that leaves a device's location as it is."""

    KEEP = "keep"


KEEP = Keep.KEEP


def is_app_room(room_id: str) -> bool:
    return room_id.startswith(APP_PREFIX)


def check_room_id(value: object) -> str:
    """A room id: ``<platform>:<id>`` (``app:<name>`` for apps), at most 200 characters, no spaces or
    control characters. Raises ``InvalidRoomIdError``."""
    if not isinstance(value, str):
        raise InvalidRoomIdError("room id must be a string")
    platform, sep, rest = value.partition(":")
    # No spaces nor control, format or unassigned characters: exactly the characters str.isprintable
    # refuses (Unicode categories C* and Z*) plus the ASCII space, checked at C speed (every heartbeat).
    if (not sep or not rest or not _PLATFORM.fullmatch(platform) or len(value) > ROOM_ID_MAX_LEN
            or not value.isprintable() or " " in value):
        raise InvalidRoomIdError(f"room id must look like app:NAME or PLATFORM:CHANNEL, without spaces, "
                                   f"at most {ROOM_ID_MAX_LEN} characters")
    return value


def _depth(value: object) -> int:
    """Nesting depth of lists and objects (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            depth += 1
            if depth > LOCATION_MAX_DEPTH:
                return depth
            deepest = max(deepest, depth)
            stack.extend((child, depth) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def encode_location(value: object) -> str | None:
    """``value`` (text, number, boolean, list or object; None clears it) as compact JSON.

    Raises ``InvalidLocationError`` when it is nested deeper than 4 or takes more than 1024 bytes.
    """
    if value is None:
        return None
    if _depth(value) > LOCATION_MAX_DEPTH:
        raise InvalidLocationError(f"location is nested deeper than {LOCATION_MAX_DEPTH} levels")
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        size = len(text.encode("utf-8"))
    except (TypeError, ValueError):  # UnicodeEncodeError (a lone surrogate) is a ValueError too
        raise InvalidLocationError("location must be text, a number, true/false, a list or an object") from None
    if size > LOCATION_MAX_BYTES:
        raise InvalidLocationError(f"location takes {size} bytes as JSON; the limit is {LOCATION_MAX_BYTES}")
    return text


def needs_write(leases: dict[str, RoomLease], room_id: str, location: str | None | Keep) -> bool:
    """Whether a heartbeat in ``room_id`` changes the device's leases (a join or a move)."""
    lease = leases.get(room_id)
    return lease is None or (location is not KEEP and location != lease.location)


def join(record: PersonRecord, device_id: str, device_name: str, room_id: str, location: str | None | Keep,
         now: int) -> None:
    """The device is here now and in ``room_id``; ``location`` replaces its location there unless KEEP."""
    rules.touch(record, device_id, device_name, now)
    device = record.devices[device_id]
    lease = device.rooms.get(room_id)
    if lease is None:
        device.rooms[room_id] = RoomLease(now, None if location is KEEP else location)
    elif location is not KEEP and location != lease.location:
        device.rooms[room_id] = RoomLease(lease.since, location)


def leave(record: PersonRecord, device_id: str, room_id: str | None = None) -> None:
    """The device leaves ``room_id``, or every room when it is None."""
    device = record.devices.get(device_id)
    if device is not None:
        if room_id is None:
            device.rooms = {}
        else:
            device.rooms.pop(room_id, None)


def _account(record: PersonRecord, device_id: str) -> str:
    """The account an app device belongs to (``<account>/api/<name>``); the person's own for any other."""
    account, api, _ = device_id.partition(API_DEVICE)
    return account if api and account in record.accounts else record.id


def _member(record: PersonRecord, account: str, now: int, policy: Policy,
            devices: tuple[RoomDevice, ...] = ()) -> RoomMember:
    view = public_view(record, account, now, policy)
    return RoomMember(record.id, account, view.name, view.status, view.custom_status, devices)


def members(record: PersonRecord, now: int, policy: Policy) -> dict[str, RoomMember]:
    """What each room the person's devices are in sees of them at ``now``, by room id (devices by
    join time), under the account of the device that joined first."""
    by_room: dict[str, list[tuple[RoomDevice, str]]] = {}
    for device in record.devices.values():
        for room_id, lease in device.rooms.items():
            by_room.setdefault(room_id, []).append((RoomDevice(device.name, lease.since, lease.location),
                                                    _account(record, device.id)))
    found = {}
    for room_id, devices in by_room.items():
        devices.sort(key=lambda pair: (pair[0].since, pair[0].name))
        found[room_id] = _member(record, devices[0][1], now, policy, tuple(device for device, _ in devices))
    return found


def live_member(record: PersonRecord, room_id: str, now: int, policy: Policy,
                seen_as: str | None = None) -> RoomMember | None:
    """The person in ``room_id`` as of ``now``; in a platform channel also without a device there
    (people seen in the channel, as ``who`` lists them, under ``seen_as``, the account seen there);
    None when they are not in an app room."""
    settled = record.copy()
    rules.settle(settled, now, policy)
    member = members(settled, now, policy).get(room_id)
    if not is_app_room(room_id):  # in a chat, a person is shown under the account that chat knows (SPEC 6)
        member = _member(settled, seen_as or settled.id, now, policy, member.devices if member else ())
    return member


def staying(record: PersonRecord, before: dict[str, RoomMember], after: dict[str, RoomMember], now: int,
            policy: Policy) -> dict[str, RoomMember]:
    """``after`` (``members`` of the changed ``record``) plus, in each chat room all the person's devices
    left, the person without devices: they are still one of its members. A ``RoomChange`` without a
    member is a leave in every room, which in a chat only ``end_membership`` and ``forget`` announce."""
    gone = [room for room in before if room not in after and not is_app_room(room)]
    if not gone:
        return after
    # Under the account that chat knows, never the person's id, which may be another platform's account.
    return {**after, **{room: _member(record, before[room].user_id, now, policy) for room in gone}}


def visible(member: RoomMember) -> bool:
    """Rooms list people like ``who`` does: never someone who shows as offline (invisible, tracking off)."""
    return member.status is not Status.OFFLINE


def listing_order(member: RoomMember) -> tuple[int, str, str]:
    """Most reachable first, then by name."""
    return LISTING_RANK[member.status], (member.name or "").casefold(), member.user_id


def changes(person_id: str, before: dict[str, RoomMember], after: dict[str, RoomMember], at: int) -> list[RoomChange]:
    """One change per room whose view of the person differs, in room order."""
    return [RoomChange(room_id, person_id, after.get(room_id), at)
            for room_id in sorted(before.keys() | after.keys()) if before.get(room_id) != after.get(room_id)]
