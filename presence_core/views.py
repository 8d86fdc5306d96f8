"""Read views of a stored person: what the person themself and what others may see."""

from __future__ import annotations

from presence_core import rules
from presence_core.models import DeviceInfo, PersonRecord, UserStatus
from presence_core.policy import Policy
from presence_core.status import Status


# An API token's device: ``<owner account>/api/<token name>`` (presence_core.tokens).
API_DEVICE = "/api/"


def device_name(device_id: str) -> str:
    """A short readable name: ``telegram:42`` -> ``telegram``, ``discord:1/mobile`` -> ``discord mobile``,
    ``telegram:42/api/laptop`` -> ``api laptop``."""
    platform, sep, rest = device_id.partition(":")
    if not sep or not platform:
        return device_id
    _, api, token_name = rest.partition(API_DEVICE)
    if api and token_name:
        return f"api {token_name}"
    _, slash, client = rest.rpartition("/")
    return f"{platform} {client}" if slash and client else platform


def status_view(record: PersonRecord | None, user_id: str, now: int, policy: Policy, *, as_self: bool) -> UserStatus:
    if record is None:
        return UserStatus(user_id, Status.OFFLINE)
    custom = rules.custom_status(record, now)
    manual = rules.manual_status(record, now)
    active = rules.active_device(record)
    if as_self:
        return UserStatus(
            user_id, rules.true_status(record, now, policy), custom, record.custom_expires if custom else None,
            record.last_seen, active.id if active else None, len(record.devices), record.names.get(user_id),
            manual is not None, record.manual_expires if manual else None,
            invisible=manual is Status.OFFLINE, tracking=record.tracking,
        )
    status = rules.public_status(record, now, policy)
    hidden = status is Status.OFFLINE
    return UserStatus(
        user_id, status, custom, record.custom_expires if custom else None,
        rules.public_last_seen(record, now), None if hidden or active is None else active.id,
        0 if hidden else len(record.devices), record.names.get(user_id),
        manual is not None and not hidden, record.manual_expires if manual and not hidden else None,
    )


def devices_view(record: PersonRecord | None, now: int, policy: Policy) -> list[DeviceInfo]:
    """The person's own devices, the active one first, then most recently seen."""
    if record is None:
        return []
    active = rules.active_device(record)
    manual = rules.manual_status(record, now)
    infos = [
        DeviceInfo(d.id, d.name, manual or rules.device_status(d, now, policy), d.last_seen,
                   d is active, rules.is_stale(d, now, policy), rules.is_synced(record, d, now, policy))
        for d in record.devices.values()
    ]
    return sorted(infos, key=lambda d: (not d.is_active, -(d.last_seen or 0), d.id))
