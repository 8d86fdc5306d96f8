"""A PersonRecord as one JSON document, for stores that keep a person in one value (SQLite).

Generic over the record's fields, so a field added to ``PersonRecord`` needs no change here or in
a store's schema: fields at their default are left out, statuses are written as their strings and
read back by the field's type, devices are short arrays. A field must hold JSON values (tuples come
back as lists). ``id``, ``version`` and ``due`` are the store's own columns, not part of the document.
"""

from __future__ import annotations

import json
import typing
from dataclasses import MISSING, fields
from typing import Any

from presence_core.models import DeviceRecord, PersonRecord, RoomLease
from presence_core.status import Status

_COLUMNS = frozenset({"id", "version", "due"})
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_HINTS = typing.get_type_hints(PersonRecord)
_STATUS_FIELDS = frozenset(name for name, hint in _HINTS.items() if Status in typing.get_args(hint) or hint is Status)


def _default(name: str) -> Any:
    spec = next(f for f in fields(PersonRecord) if f.name == name)
    return spec.default_factory() if spec.default is MISSING and spec.default_factory is not MISSING else spec.default


_DEFAULTS = {f.name: _default(f.name) for f in fields(PersonRecord) if f.name not in _COLUMNS}


def _device(d: DeviceRecord) -> list[object]:
    """A device as an array; its room leases (app devices only) as a seventh item when it has any."""
    rooms = [[room, lease.since, lease.location] for room, lease in d.rooms.items()]
    return [d.id, d.name, d.last_seen, d.reported, d.reported_expires, d.synced_at, *([rooms] if rooms else [])]


def _leases(device: list[Any]) -> dict[str, RoomLease]:
    return {room: RoomLease(since, location) for room, since, location in (device[6] if len(device) > 6 else ())}


def dumps(record: PersonRecord) -> str:
    """The record's fields but ``id``, ``version`` and ``due``, as compact JSON."""
    doc: dict[str, Any] = {}
    for name, default in _DEFAULTS.items():
        value = getattr(record, name)
        if value != default:
            doc[name] = [_device(d) for d in value.values()] if name == "devices" else value
    return _encode(doc)


def loads(person_id: str, version: int, due: int | None, text: str) -> PersonRecord:
    """The record ``dumps`` wrote; unknown keys (from a newer presence) are ignored."""
    record = PersonRecord(person_id, version, due=due)
    for name, value in json.loads(text).items():
        if name not in _DEFAULTS:
            continue
        if name == "devices":
            value = {d[0]: DeviceRecord(d[0], d[1], d[2], None if d[3] is None else Status(d[3]), d[4], d[5],
                                        _leases(d)) for d in value}
        elif name in _STATUS_FIELDS and value is not None:
            value = Status(value)
        setattr(record, name, value)
    return record
