"""Data the core passes around: stored records (mutable, owned by one update) and read views (frozen)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from operator import attrgetter

from presence_core.status import Status

# Who sees a person's last seen and custom status (SPEC section 7): whoever shares a place, or nobody.
PRIVACY_SHARED = "shared"
PRIVACY_NOBODY = "nobody"
PRIVACY_CHOICES = (PRIVACY_SHARED, PRIVACY_NOBODY)


@dataclass(frozen=True, slots=True)
class RoomLease:
    """A device's place in one room (SPEC section 11): since when, and where in it (compact JSON or None).

    The lease lasts while the device keeps being seen: it ends ``rooms.lease_ms(policy)`` after the
    device's ``last_seen``, so a heartbeat of the device keeps all its rooms without a write of its own.
    """

    since: int
    location: str | None = None


@dataclass(slots=True)
class DeviceRecord:
    """One device of a person as stored: a platform account or one client of it."""

    id: str
    name: str
    last_seen: int | None = None
    # Status the device reported (a Discord client, set_device_status); None: derived from activity.
    reported: Status | None = None
    reported_expires: int | None = None
    synced_at: int | None = None
    # Rooms the device is in, by room id (app devices only: a token's heartbeats and live feeds).
    rooms: dict[str, RoomLease] = field(default_factory=dict)


@dataclass(slots=True)
class PersonRecord:
    """Everything stored about one person except the activity log and channel memberships."""

    id: str
    version: int = 0
    manual: Status | None = None
    manual_expires: int | None = None
    manual_since: int | None = None
    custom: str | None = None
    custom_expires: int | None = None
    last_seen: int | None = None
    # The effective status last announced to listeners; transitions are changes of this field.
    published: Status = Status.OFFLINE
    tracking: bool = True
    changed_at: int | None = None
    last_sync: int | None = None
    # Derived by rules.settle so that a store can apply activity without the full rules:
    # the status activity cannot override, until when, and when the sweep must look again.
    sticky: Status | None = None
    sticky_until: int | None = None
    due: int | None = None
    devices: dict[str, DeviceRecord] = field(default_factory=dict)
    # Platform accounts joined into this person besides ``id`` itself (SPEC section 6).
    linked: list[str] = field(default_factory=list)
    # Each account's display name as its platform gave it: a person is shown in a channel under
    # the name of the account seen there, never under another account's name (SPEC section 6).
    names: dict[str, str] = field(default_factory=dict)
    # Availability for work (SPEC section 12; rules in presence_core.availability): items at once
    # (None: no limit), items now, skill tags, weekly hours as Telegram Business opening hours
    # ([opening minute, closing minute] of the week from Monday 00:00 in ``hours_zone``), last pick.
    capacity: int | None = None
    load: int = 0
    skills: list[str] = field(default_factory=list)
    hours: list[list[int]] = field(default_factory=list)
    hours_zone: str | None = None
    last_pick: int | None = None
    # Derived by availability.settle: the availability last announced, and the current or next
    # window within the hours (epoch ms; ``open_until`` None: open from then on), so a store can
    # decide availability on the activity path without time-zone rules.
    available: bool = False
    open_from: int | None = None
    open_until: int | None = None
    # Each account's username (``@handle``) where its platform has one: ``@x`` matches these only,
    # never display names, which anyone can choose (SPEC section 7; see presence_core.visibility).
    usernames: dict[str, str] = field(default_factory=dict)
    # Who sees this person's last seen and custom status: "shared" (whoever shares a place) or "nobody".
    privacy: str = PRIVACY_SHARED
    # The custom status others keep seeing while this person is hidden (invisible or tracking off):
    # the one they had when they hid, so changing it meanwhile reveals no activity.
    custom_shown: str | None = None
    custom_shown_expires: int | None = None

    def copy(self) -> PersonRecord:
        """An independent copy, so a caller's changes never reach the store before ``save``.

        Every field passed by position (all are init fields, in order): several times faster than
        ``dataclasses.replace``, and a store's every load makes one.
        """
        copied = PersonRecord(*_PERSON_FIELDS(self))
        copied.devices = {key: DeviceRecord(*_DEVICE_FIELDS(device)) for key, device in self.devices.items()}
        for device in copied.devices.values():
            device.rooms = dict(device.rooms)
        copied.linked, copied.names, copied.usernames = list(self.linked), dict(self.names), dict(self.usernames)
        copied.skills, copied.hours = list(self.skills), [list(interval) for interval in self.hours]
        return copied

    @property
    def accounts(self) -> list[str]:
        return [self.id, *self.linked]


_PERSON_FIELDS = attrgetter(*(f.name for f in fields(PersonRecord)))
_DEVICE_FIELDS = attrgetter(*(f.name for f in fields(DeviceRecord)))


@dataclass(frozen=True, slots=True)
class Activity:
    """One recorded action of an account, as handed to a store (often in a batch)."""

    user_id: str
    device_id: str
    device_name: str
    type: str
    timestamp: int
    channel_id: str | None = None
    user_name: str | None = None
    # Heartbeats keep a device alive without writing an entry into the activity log.
    logged: bool = True
    username: str | None = None
    # When the service received it (epoch ms, service clock); None: at ``timestamp``. An activity
    # that arrives late (a backlog replayed after downtime) keeps its age (SPEC section 4).
    arrived: int | None = None


@dataclass(frozen=True, slots=True)
class Transition:
    """A real change of a person's effective status (SPEC section 4); ``at`` in epoch ms."""

    user_id: str
    old: Status
    new: Status
    at: int

    def calls(self) -> list[tuple[str, tuple[object, ...]]]:
        """The listeners it reaches: ``status_change`` always, ``online`` from offline, ``offline`` to it."""
        calls: list[tuple[str, tuple[object, ...]]] = [("status_change", (self.user_id, self.old, self.new))]
        if self.old is Status.OFFLINE:
            calls.append(("online", (self.user_id,)))
        if self.new is Status.OFFLINE:
            calls.append(("offline", (self.user_id,)))
        return calls


@dataclass(frozen=True, slots=True)
class AvailabilityChange:
    """A person became available for work, or stopped being available (SPEC section 12)."""

    user_id: str
    available: bool
    at: int

    def calls(self) -> list[tuple[str, tuple[object, ...]]]:
        return [("available" if self.available else "unavailable", (self.user_id,))]


@dataclass(frozen=True, slots=True)
class RoomDevice:
    """One device of a person in a room; ``location`` is compact JSON (app rooms only), ``since`` epoch ms."""

    name: str
    since: int
    location: str | None = None


@dataclass(frozen=True, slots=True)
class RoomMember:
    """A person in a room as the room sees them (SPEC section 11): public status, custom status, devices."""

    person_id: str
    # The account the room knows them by (SPEC 6): the one whose device is there, in a chat the one seen there.
    user_id: str
    name: str | None
    status: Status
    custom_status: str | None
    devices: tuple[RoomDevice, ...] = ()


@dataclass(frozen=True, slots=True)
class RoomChange:
    """The room's view of one person changed: joined, moved, changed status, or left (``member`` None)."""

    room_id: str
    person_id: str
    member: RoomMember | None
    at: int

    def calls(self) -> list[tuple[str, tuple[object, ...]]]:
        return [("room_change", (self,))]


@dataclass(frozen=True, slots=True)
class TokensRevoked:
    """API tokens stopped working (revoked, or erased by ``forget``), by hash: processes forget what they cached."""

    hashes: tuple[str, ...]
    at: int

    def calls(self) -> list[tuple[str, tuple[object, ...]]]:
        return [("tokens_revoked", (self.hashes,))]


# Everything a store announces to the listeners of every process sharing it.
Event = Transition | AvailabilityChange | RoomChange | TokensRevoked


@dataclass(frozen=True, slots=True)
class Membership:
    """An account seen in a channel, and when it was last seen there (epoch ms)."""

    channel_id: str
    account_id: str
    last_seen: int


@dataclass(frozen=True, slots=True)
class ActivityEvent:
    type: str
    channel_id: str | None
    timestamp: int
    device_id: str | None = None


@dataclass(frozen=True, slots=True)
class UserStatus:
    """A person's presence as one viewer may see it."""

    user_id: str
    status: Status
    custom_status: str | None = None
    custom_status_expires_at: int | None = None
    last_seen: int | None = None
    active_device: str | None = None
    device_count: int = 0
    name: str | None = None
    manual: bool = False
    expires_at: int | None = None
    # Only ever true in a person's view of themself.
    invisible: bool = False
    tracking: bool = True
    # The viewer hides their own last seen, so they see others' only coarsely (Telegram's reciprocity).
    last_seen_coarse: bool = False


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    id: str
    name: str
    status: Status
    last_seen: int | None
    is_active: bool
    is_stale: bool
    synced: bool


@dataclass(frozen=True, slots=True)
class OnlineUser:
    user_id: str
    name: str | None
    status: Status
    last_seen: int | None
    custom_status: str | None = None
    # The viewer hides their own last seen, so shows others' only coarsely (see UserStatus).
    last_seen_coarse: bool = False
    # For people who use availability (SPEC section 12): items now and at most, outside their hours.
    load: int = 0
    capacity: int | None = None
    off_hours: bool = False


@dataclass(frozen=True, slots=True)
class ChannelPresence:
    """The best people present in a channel, and how many more were seen there recently."""

    users: tuple[OnlineUser, ...]
    more: int


@dataclass(frozen=True, slots=True)
class SyncStatus:
    synced: int
    total: int
    last_sync: int | None


@dataclass(frozen=True, slots=True)
class Workload:
    """A person's load and capacity after a change (SPEC section 12); ``available`` at that moment."""

    load: int
    capacity: int | None
    available: bool


@dataclass(frozen=True, slots=True)
class LoadChange:
    """What ``Store.change_load`` is asked to do to a person's load, atomically.

    ``delta`` items more (negative: fewer; the load never goes below 0). Unless ``force``, a
    positive delta that would pass the capacity is refused. ``pick``: the person must be
    available, and their last pick becomes now.
    """

    delta: int
    force: bool = False
    pick: bool = False
    # Compare-and-set on the load: refused as "changed" unless it is still this (a pick chose by it).
    expected_load: int | None = None


@dataclass(frozen=True, slots=True)
class LoadOutcome:
    """What ``Store.change_load`` did: ``refused`` is None when applied, else ``"full"`` (capacity),
    ``"unavailable"`` (a pick of someone not available), ``"changed"`` (not the expected load) or
    ``"unknown"`` (no such person);
    ``record`` is the person as stored afterwards (None when unknown), ``events`` those announced."""

    record: PersonRecord | None
    events: tuple[Event, ...] = ()
    refused: str | None = None


@dataclass(frozen=True, slots=True)
class AvailableUser:
    """Someone in a channel who can take work now, under the account seen there."""

    user_id: str
    name: str | None
    load: int
    capacity: int | None
    skills: tuple[str, ...]
    last_pick: int | None


@dataclass(frozen=True, slots=True)
class DeskView:
    """A channel's desk as a store finds it at a time (``Store.desk_view``).

    ``available``: people announced available and not due, under the account seen there, as they
    are listed (unordered). ``due``: people due by then, as (account seen there, whole record), for
    the caller to settle first: the clock may have changed their availability.
    """

    available: list[AvailableUser]
    due: list[tuple[str, PersonRecord]]


@dataclass(frozen=True, slots=True)
class Watch:
    """"Tell me when they're available": one-shot, until ``expires_at`` (epoch ms).

    ``watcher_id`` is the account that asked (the message goes to it, on its platform);
    ``target_id`` the account watched, as seen in ``channel_id``, the channel both share.
    """

    watcher_id: str
    target_id: str
    channel_id: str
    expires_at: int
    created_at: int
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class AvailabilityInfo:
    """A person's own availability settings and state (SPEC section 12)."""

    capacity: int | None
    load: int
    skills: tuple[str, ...]
    # Canonical weekly intervals (presence_core.hours) and their zone; empty: no hours.
    hours: tuple[tuple[int, int], ...]
    hours_zone: str | None
    within_hours: bool
    available: bool
    uses_availability: bool


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """An API token as stored: only its hash, the account that made it, its name, times in epoch ms."""

    hash: str
    owner: str
    name: str
    created_at: int
    last_used: int | None = None


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as its owner may list it: never the token itself."""

    name: str
    created_at: int
    last_used: int | None
