"""Request and response bodies of the HTTP API (SPEC section 11), as pydantic models: the OpenAPI schema.

Times are epoch milliseconds; unknown keys in a request are an error (422), never ignored.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from presence_core.models import ActivityEvent, DeviceInfo, RoomMember, UserStatus
from presence_core.views import device_name


class _In(BaseModel):
    # Strict: ``true`` is not 1 and ``"5"`` is not 5 here, as in the Python API.
    model_config = ConfigDict(extra="forbid", strict=True)


class HeartbeatIn(_In):
    """A device heartbeat. With ``channel_id`` it also joins that room; ``location`` (app rooms only) is a
    short text or a small object shown to the room (at most 1024 bytes as JSON, nested at most 4 deep);
    ``null`` clears it, leaving it out keeps it."""

    channel_id: str | None = Field(None, examples=["app:design-doc"])
    location: Any = Field(None, examples=[{"page": 3, "cursor": {"line": 12, "col": 4}}])


class StatusIn(_In):
    status: str = Field(examples=["dnd"])
    expires_at_ms: int | None = Field(None, description="when a manual away, dnd or offline ends (epoch ms, "
                                                              "at most 365 days ahead)")


class CustomStatusIn(_In):
    text: str = Field(examples=["In a meeting"], description="at most 128 characters")
    expires_at_ms: int | None = Field(None, description="epoch ms, at most 365 days ahead")


class HeartbeatOut(BaseModel):
    device: str = Field(examples=["api laptop"])
    rooms: list[str] = Field(description="the rooms this device is in now")
    next_heartbeat_ms: int = Field(description="heartbeat again within this long to stay in your rooms")


class RoomDeviceOut(BaseModel):
    name: str
    since: int
    location: Any = None


class PersonOut(BaseModel):
    user_id: str
    name: str | None
    status: str
    custom_status: str | None
    devices: list[RoomDeviceOut] = Field(description="this person's devices in the room (API clients)")


class RoomOut(BaseModel):
    room_id: str
    people: list[PersonOut]


class LeftOut(BaseModel):
    room_id: str
    rooms: list[str] = Field(description="the rooms this device is still in")


class MeOut(BaseModel):
    user_id: str
    name: str | None
    status: str
    manual: bool
    expires_at_ms: int | None
    invisible: bool
    custom_status: str | None
    custom_status_expires_at_ms: int | None
    last_seen: int | None
    active_device: str | None
    device_count: int
    tracking: bool


class ActivityOut(BaseModel):
    type: str
    channel_id: str | None
    timestamp: int
    device: str | None


class ActivityListOut(BaseModel):
    activity: list[ActivityOut]


class DeviceOut(BaseModel):
    id: str
    name: str
    status: str
    last_seen: int | None
    active: bool
    stale: bool
    synced: bool


class DeviceListOut(BaseModel):
    devices: list[DeviceOut]


def person_entry(member: RoomMember, *, with_location: bool) -> dict[str, Any]:
    """A person as a room shows them, in the JSON the listing and the live feed both use."""
    return {"user_id": member.user_id, "name": member.name, "status": member.status.value,
            "custom_status": member.custom_status,
            "devices": [{"name": d.name, "since": d.since,
                         "location": json.loads(d.location) if with_location and d.location is not None else None}
                        for d in member.devices]}


def me_out(status: UserStatus) -> MeOut:
    return MeOut(user_id=status.user_id, name=status.name, status=status.status.value, manual=status.manual,
                 expires_at_ms=status.expires_at, invisible=status.invisible, custom_status=status.custom_status,
                 custom_status_expires_at_ms=status.custom_status_expires_at, last_seen=status.last_seen,
                 active_device=device_name(status.active_device) if status.active_device else None,
                 device_count=status.device_count, tracking=status.tracking)


def activity_out(event: ActivityEvent) -> ActivityOut:
    return ActivityOut(type=event.type, channel_id=event.channel_id, timestamp=event.timestamp,
                       device=device_name(event.device_id) if event.device_id else None)


def device_out(device: DeviceInfo) -> DeviceOut:
    return DeviceOut(id=device.id, name=device.name, status=device.status.value, last_seen=device.last_seen,
                     active=device.is_active, stale=device.is_stale, synced=device.synced)
