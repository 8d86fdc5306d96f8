"""How a person is written in their Redis hash: the record, their memberships and the newest log entries.

One hash per person (``p:``), kept small enough for Redis's compact listpack encoding (fields and
values up to 64 bytes, up to 128 fields):

    h            "v,s,p,u,k,ku,t,a" then "|n,ll,x" when there is a log: what the record script reads and
                 writes on every message, in one field (one lookup instead of ten): version, last seen,
                 published, due, sticky, sticky until, tracking ('0' = off, '' = on), uses availability
                 ('1', derived: capacity, hours or skills set); inline log entries, entries in the log
                 LIST, when the log's first entry outlives the age cap (its time plus
                 ``activity_max_age_ms`` when it became the first). A new field the record script needs
                 on every message goes at the end of the record part; any other gets a field of its own.
    m me ms      manual status, its expiry, since when     c ce   custom status, its expiry
    g y          changed at, last sync                     l      linked accounts (JSON)
    pv           privacy ("shared" is not stored)          cs cse the custom status shown while hidden
    ca ld sk hr hz lp av hf hu   availability: capacity, load, skills (JSON), hours (JSON), their zone,
                 last pick, '1' when announced available, the hours window (``redis_availability``)
    n, n@<acct>  the name of the person's own account, of a linked account
    un, un@<acct>  the username of the person's own account, of a linked account
    @, @<dev>    a device ("@" alone: the person's own account):
                 "last_seen,synced_at,reported,reported_expires,name" (synced_at "=": equal to last_seen)
    r@, r@<dev>  the device's room leases, JSON [[room, since, location JSON or null], ...] (SPEC section 11)
    #<chan>      a membership of the person's own account -> last seen there (epoch ms)
    %<n>:<acct><chan>  a membership of a linked account (n = length of the account id)
    L1 … L8      the newest activity log entries, oldest first; older ones are in the log LIST (``l:``)

A log entry is "ts,<len(type)>,<len(device)>,<type><device><channel>" where an empty length means
the type "message", or the device that is the person id itself. Statuses are one letter (o/a/d/f).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from presence_core.availability import uses_availability
from presence_core.events import STATUS_CODES
from presence_core.models import ActivityEvent, DeviceRecord, Membership, PersonRecord, RoomLease
from presence_core.status import Status

INLINE_LOG = 8  # log entries kept in the hash; the record script agrees (redis_lua_record.INLINE)
_STATUS = {code.encode(): status for status, code in STATUS_CODES.items()}


def _num(value: bytes | str) -> int | None:
    return int(value) if value else None


def _opt(value: object) -> object:
    return "" if value is None else value


def _code(status: Status | None) -> str:
    return "" if status is None else STATUS_CODES[status]


def _status(code: bytes) -> Status | None:
    return _STATUS.get(code)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# hash field, PersonRecord attribute, its default (not stored), from Redis, to Redis
_COLD: tuple[tuple[bytes, str, Any, Callable[[bytes], Any], Callable[[Any], object]], ...] = (
    (b"m", "manual", None, _status, _code),
    (b"me", "manual_expires", None, int, int),
    (b"ms", "manual_since", None, int, int),
    (b"c", "custom", None, bytes.decode, str),
    (b"ce", "custom_expires", None, int, int),
    (b"g", "changed_at", None, int, int),
    (b"y", "last_sync", None, int, int),
    (b"l", "linked", [], json.loads, _json),
    (b"pv", "privacy", "shared", bytes.decode, str),
    (b"cs", "custom_shown", None, bytes.decode, str),
    (b"cse", "custom_shown_expires", None, int, int),
    (b"ca", "capacity", None, int, int),
    (b"ld", "load", 0, int, int),
    (b"sk", "skills", [], json.loads, _json),
    (b"hr", "hours", [], json.loads, _json),
    (b"hz", "hours_zone", None, bytes.decode, str),
    (b"lp", "last_pick", None, int, int),
    (b"av", "available", False, lambda v: v == b"1", lambda v: "1" if v else "0"),
    (b"hf", "open_from", None, int, int),
    (b"hu", "open_until", None, int, int),
)
_DECODERS = {field: (attr, decode) for field, attr, _, decode, _ in _COLD}


def hot_tail(record: PersonRecord) -> str:
    """The ``h`` field after its version: ",s,p,u,k,ku,t,a" (the save script adds the version and keeps the log part)."""
    return (f",{_opt(record.last_seen)},{STATUS_CODES[record.published]},{_opt(record.due)},{_code(record.sticky)},"
            f"{_opt(record.sticky_until)},{'' if record.tracking else '0'},{'1' if uses_availability(record) else ''}")


def encode(record: PersonRecord) -> list[object]:
    """The record's fields other than ``h``, as field/value pairs; absent fields hold the default."""
    out: list[object] = []
    for field, attr, default, _, to_redis in _COLD:
        value = getattr(record, attr)
        if value != default:
            out += [field, to_redis(value)]
    for account, name in record.names.items():
        out += ["n" if account == record.id else "n@" + account, name]
    for account, username in record.usernames.items():
        out += ["un" if account == record.id else "un@" + account, username]
    for device in record.devices.values():
        synced = "=" if device.synced_at is not None and device.synced_at == device.last_seen else device.synced_at
        field = "@" if device.id == record.id else "@" + device.id
        out += [field, f"{_opt(device.last_seen)},{_opt(synced)},{_code(device.reported)},"
                       f"{_opt(device.reported_expires)},{device.name}"]
        if device.rooms:
            out += ["r" + field, _json([[room, lease.since, lease.location] for room, lease in device.rooms.items()])]
    return out


def pairs(flat: Sequence[bytes]) -> dict[bytes, bytes]:
    return dict(zip(flat[::2], flat[1::2]))


def decode(person_id: str, fields: dict[bytes, bytes]) -> PersonRecord:
    """The record in a person hash (memberships and log entries aside)."""
    version, seen, published, due, sticky, sticky_until, tracking, _ = fields[b"h"].split(b"|", 1)[0].split(b",")
    record = PersonRecord(person_id, version=int(version), last_seen=_num(seen),
                          published=_status(published) or Status.OFFLINE, due=_num(due), sticky=_status(sticky),
                          sticky_until=_num(sticky_until), tracking=tracking != b"0")
    leases: dict[str, bytes] = {}
    for field, value in fields.items():
        first = field[:1]
        if first == b"@":
            last_seen, synced_at, reported, reported_expires, name = value.decode().split(",", 4)
            device_id = field[1:].decode() or person_id
            record.devices[device_id] = DeviceRecord(device_id, name, _num(last_seen), _status(reported.encode()),
                                                     _num(reported_expires),
                                                     _num(last_seen if synced_at == "=" else synced_at))
        elif first == b"n":
            record.names[field[2:].decode() or person_id] = value.decode()
        elif field == b"un" or field[:3] == b"un@":
            record.usernames[field[3:].decode() or person_id] = value.decode()
        elif field[:2] == b"r@":
            leases[field[2:].decode() or person_id] = value
        elif (known := _DECODERS.get(field)) is not None:
            setattr(record, known[0], known[1](value))
    for device_id, value in leases.items():
        if device_id in record.devices:
            record.devices[device_id].rooms = {room: RoomLease(since, location)
                                               for room, since, location in json.loads(value)}
    return record


def log_meta(fields: dict[bytes, bytes]) -> tuple[int, int, str]:
    """(entries kept in the hash, entries in the log LIST, when the first entry outlives the age cap
    or '' without a log), from the ``h`` field."""
    _, _, log = fields.get(b"h", b"").partition(b"|")
    if not log:
        return 0, 0, ""
    inline, in_list, expires = log.decode().split(",")
    return int(inline), int(in_list), expires


def member_field(account_id: str, person_id: str, channel_id: str) -> str:
    """The hash field of an account's membership of a channel, in its person's hash."""
    if account_id == person_id:
        return "#" + channel_id
    return f"%{len(account_id)}:{account_id}{channel_id}"


def memberships(person_id: str, fields: dict[bytes, bytes], since: int | None = None) -> list[Membership]:
    """The memberships in a person hash, renewed at or after ``since``."""
    found = []
    for field, value in fields.items():
        first = field[:1]
        if first != b"#" and first != b"%":
            continue
        last_seen = int(value)
        if since is not None and last_seen < since:
            continue
        if first == b"#":
            found.append(Membership(field[1:].decode(), person_id, last_seen))
        else:
            length, rest = field[1:].decode().split(":", 1)
            found.append(Membership(rest[int(length):], rest[:int(length)], last_seen))
    return found


def encode_entry(event: ActivityEvent, person_id: str) -> str:
    """A log entry of ``person_id``'s log (the record script writes the same)."""
    kind = "" if event.type == "message" else str(len(event.type))
    device = event.device_id or ""
    device_len = "" if device == person_id else str(len(device))
    return f"{event.timestamp},{kind},{device_len},{event.type if kind else ''}{'' if device == person_id else device}" \
           f"{event.channel_id or ''}"


def decode_entry(entry: bytes, person_id: str) -> ActivityEvent:
    ts, type_len, device_len, rest = entry.decode().split(",", 3)
    kind, t = ("message", 0) if type_len == "" else (rest[:int(type_len)], int(type_len))
    device, d = (person_id, 0) if device_len == "" else (rest[t:t + int(device_len)], int(device_len))
    channel = rest[t + d:]
    return ActivityEvent(kind, channel or None, int(ts), device)
