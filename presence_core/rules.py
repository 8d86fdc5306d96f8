"""The status rules of SPEC section 4, as pure functions over a PersonRecord and a time.

Stores call ``apply_activity`` on the hot path (the Redis script mirrors it line for line);
everything else goes through ``settle``, which the service runs after every other change and
the sweep runs when a person is due.
"""

from __future__ import annotations

from presence_core import availability
from presence_core.models import Activity, DeviceRecord, Event, PersonRecord, Transition
from presence_core.policy import Policy
from presence_core.status import MERGE_RANK, STICKY, Status


def in_force(expires: int | None, now: int) -> bool:
    return expires is None or expires > now


def idle_status(last_seen: int | None, now: int, policy: Policy) -> Status:
    if last_seen is None:
        return Status.OFFLINE
    idle = now - last_seen
    if idle < policy.away_after_ms:
        return Status.ONLINE
    if idle < policy.offline_after_ms:
        return Status.AWAY
    return Status.OFFLINE


def device_status(device: DeviceRecord, now: int, policy: Policy) -> Status:
    if device.reported is not None and in_force(device.reported_expires, now):
        return device.reported
    return idle_status(device.last_seen, now, policy)


def manual_status(record: PersonRecord, now: int) -> Status | None:
    if record.manual is not None and in_force(record.manual_expires, now):
        return record.manual
    return None


def custom_status(record: PersonRecord, now: int) -> str | None:
    if record.custom is not None and in_force(record.custom_expires, now):
        return record.custom
    return None


def merged_device_status(record: PersonRecord, now: int, policy: Policy) -> Status:
    """dnd > online > away > offline over all devices (ties cannot change the status itself)."""
    statuses = [device_status(d, now, policy) for d in record.devices.values()]
    return max(statuses, key=MERGE_RANK.__getitem__, default=Status.OFFLINE)


def true_status(record: PersonRecord, now: int, policy: Policy) -> Status:
    return manual_status(record, now) or merged_device_status(record, now, policy)


def public_status(record: PersonRecord, now: int, policy: Policy) -> Status:
    """What everyone else sees; a person with tracking off is offline to others."""
    return true_status(record, now, policy) if record.tracking else Status.OFFLINE


def is_invisible(record: PersonRecord, now: int) -> bool:
    return manual_status(record, now) is Status.OFFLINE


def is_hidden(record: PersonRecord, now: int) -> bool:
    """Invisible or not tracked: others see the person offline, as they were when they hid."""
    return not record.tracking or is_invisible(record, now)


def public_custom_status(record: PersonRecord, now: int) -> str | None:
    """The custom status others see: while hidden, the one the person had when they hid."""
    if not is_hidden(record, now):
        return custom_status(record, now)
    if record.custom_shown is not None and in_force(record.custom_shown_expires, now):
        return record.custom_shown
    return None


def keep_shown_custom(record: PersonRecord, was_hidden: bool, now: int) -> None:
    """After a change: on hiding, freeze what others see of the custom status; on coming back, let go."""
    if not is_hidden(record, now):
        record.custom_shown = record.custom_shown_expires = None
    elif not was_hidden:
        record.custom_shown = custom_status(record, now)
        record.custom_shown_expires = record.custom_expires if record.custom_shown is not None else None


def public_last_seen(record: PersonRecord, now: int) -> int | None:
    """Invisible people stopped being seen when they went invisible; untracked ones are never seen."""
    if not record.tracking:
        return None
    if is_invisible(record, now) and record.manual_since is not None and record.last_seen is not None:
        return min(record.last_seen, record.manual_since)
    return record.last_seen


def active_device(record: PersonRecord) -> DeviceRecord | None:
    seen = [d for d in record.devices.values() if d.last_seen is not None]
    return max(seen, key=lambda d: d.last_seen or 0, default=None)


def is_stale(device: DeviceRecord, now: int, policy: Policy) -> bool:
    return device.last_seen is None or now - device.last_seen >= policy.stale_after_ms


def is_synced(record: PersonRecord, device: DeviceRecord, now: int, policy: Policy) -> bool:
    if is_stale(device, now, policy):
        return False
    return record.changed_at is None or (device.synced_at is not None and device.synced_at >= record.changed_at)


def in_rooms_until(device: DeviceRecord, policy: Policy) -> int | None:
    """When the device's room leases end unless it is seen again; None when it is in no room."""
    if not device.rooms or device.last_seen is None:
        return None
    return device.last_seen + policy.room_lease_ms


def _earliest(*times: int | None) -> int | None:
    present = [t for t in times if t is not None]
    return min(present, default=None)


def touch(record: PersonRecord, device_id: str, device_name: str, ts: int) -> None:
    """The person was here at ``ts`` through this device, which saw their current state."""
    device = record.devices.get(device_id)
    if device is None:
        device = record.devices[device_id] = DeviceRecord(device_id, device_name)
    device.last_seen = max(device.last_seen or ts, ts)
    device.synced_at = max(device.synced_at or ts, ts)
    record.last_seen = max(record.last_seen or ts, ts)


def arrival_status(activity: Activity, policy: Policy) -> Status:
    """What an activity says about its person as it arrives: online, unless it was already past a
    timer's threshold by then (SPEC section 4: a late event keeps its age)."""
    arrived = activity.timestamp if activity.arrived is None else activity.arrived
    return idle_status(activity.timestamp, arrived, policy)


def apply_activity(record: PersonRecord, activity: Activity, policy: Policy) -> list[Event]:
    """Record one activity using only the derived fields (sticky, due, the hours window), so a server
    script can do the same; returns the status transition and the change of availability it caused.

    Activity that arrives already older than a timer's threshold fires no transition that the
    timer would take back at once: a 10-minute-old message brings an offline person to away at
    most, a 3-hour-old one changes no status (SPEC section 4).
    """
    ts = activity.timestamp
    touch(record, activity.device_id, activity.device_name, ts)
    if activity.user_name:
        record.names[activity.user_id] = activity.user_name
    if activity.username:
        record.usernames[activity.user_id] = activity.username
    sticky_now = record.sticky is not None and in_force(record.sticky_until, ts)
    implied = arrival_status(activity, policy)
    if sticky_now and record.sticky is not None:
        new = record.sticky
    elif implied is Status.ONLINE or record.published is Status.OFFLINE:
        new = implied
    else:
        new = record.published
    record.due = _earliest(record.due, ts + policy.away_after_ms, record.sticky_until if sticky_now else None)
    events: list[Event] = []
    if new != record.published:
        events.append(Transition(record.id, record.published, new, ts))
        record.published = new
    change = availability.announce(record, availability.decide(record, new, ts), ts)
    return events if change is None else [*events, change]


def next_due(record: PersonRecord, now: int, policy: Policy) -> int | None:
    """The next moment at which time alone may change what this record shows."""
    times: list[int | None] = [record.manual_expires, record.custom_expires]
    for device in record.devices.values():
        times.append(device.reported_expires)
        if device.last_seen is not None:
            times += [device.last_seen + policy.away_after_ms, device.last_seen + policy.offline_after_ms,
                      device.last_seen + policy.prune_after_ms, in_rooms_until(device, policy)]
    times.append(availability.next_due(record, now))
    return _earliest(*(t for t in times if t is not None and t > now))


def _sticky(record: PersonRecord, now: int) -> tuple[Status | None, int | None]:
    manual = manual_status(record, now)
    if manual in STICKY:
        return manual, record.manual_expires
    for device in record.devices.values():
        if device.reported is Status.DND and in_force(device.reported_expires, now):
            return Status.DND, device.reported_expires
    return None, None


def settle(record: PersonRecord, now: int, policy: Policy) -> list[Event]:
    """Drop what expired, recompute the derived fields, and publish real changes of status and availability."""
    if record.manual is not None and not in_force(record.manual_expires, now):
        record.manual = record.manual_expires = record.manual_since = None
    if record.custom is not None and not in_force(record.custom_expires, now):
        record.custom = record.custom_expires = None
    keep_shown_custom(record, True, now)
    if record.custom_shown is not None and not in_force(record.custom_shown_expires, now):
        record.custom_shown = record.custom_shown_expires = None
    for device_id, device in list(record.devices.items()):
        if device.reported is not None and not in_force(device.reported_expires, now):
            device.reported = device.reported_expires = None
        if device.rooms and (in_rooms_until(device, policy) or now) <= now:
            device.rooms = {}  # an idle device leaves its rooms (SPEC section 11)
        if device.last_seen is not None and now - device.last_seen >= policy.prune_after_ms:
            del record.devices[device_id]
    record.sticky, record.sticky_until = _sticky(record, now)
    new = public_status(record, now, policy)
    change = availability.settle(record, new, now)
    record.due = next_due(record, now, policy)
    events: list[Event] = []
    if new != record.published:
        events.append(Transition(record.id, record.published, new, now))
        record.published = new
    return events if change is None else [*events, change]


def set_manual(record: PersonRecord, status: Status, expires_at: int | None, now: int,
               device: DeviceRecord) -> None:
    """A status chosen by hand; ``online`` returns to automatic and counts as being here now (unless
    tracking is off: then nothing of the person's presence is recorded)."""
    record.changed_at = now
    if status is Status.ONLINE:
        record.manual = record.manual_expires = record.manual_since = None
        if record.tracking:
            touch(record, device.id, device.name, now)
        return
    if manual_status(record, now) is not status:
        record.manual_since = now
    record.manual, record.manual_expires = status, expires_at


def set_device_reported(record: PersonRecord, device: DeviceRecord, status: Status | None,
                        expires_at: int | None, now: int) -> None:
    """A status the device's platform reports, until ``expires_at`` (a lease the platform renews).

    A device the platform says is there (online, away, dnd) is seen now; so is one that was there
    until this report says it is gone (SPEC section 10).
    """
    current = record.devices.setdefault(device.id, device)
    was_there = is_there(current, now)
    current.reported, current.reported_expires = status, expires_at
    current.synced_at = now
    if is_there(current, now) or (was_there and status is Status.OFFLINE):
        current.last_seen = max(current.last_seen or now, now)
        record.last_seen = max(record.last_seen or now, now)


def is_there(device: DeviceRecord, now: int) -> bool:
    """Whether the device's platform currently reports it present (any status but offline)."""
    return device.reported not in (None, Status.OFFLINE) and in_force(device.reported_expires, now)


def sync(record: PersonRecord, now: int, policy: Policy) -> None:
    for device in record.devices.values():
        if not is_stale(device, now, policy):
            device.synced_at = now
    record.last_sync = now
