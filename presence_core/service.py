"""PresenceService: the Python API of SPEC section 5 over any store."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any

from presence_core import rooms, rules
from presence_core.arguments import (
    activity_of,
    name_of_device,
    require_bool,
    require_device,
    require_epoch_ms,
    require_id,
    require_ids,
    require_str,
)
from presence_core.accounts import Accounts
from presence_core.chat_joins import ChatJoins
from presence_core.desk import Desk
from presence_core.errors import (
    ConcurrentUpdateError,
    EmptyTextError,
    InvalidArgumentError,
    TextTooLongError,
)
from presence_core.events import EventBus, Handler
from presence_core.models import (
    PRIVACY_CHOICES,
    Activity,
    ActivityEvent,
    AvailabilityInfo,
    AvailableUser,
    ChannelPresence,
    DeviceInfo,
    DeviceRecord,
    Event,
    Membership,
    OnlineUser,
    PersonRecord,
    RoomChange,
    RoomMember,
    SyncStatus,
    TokenInfo,
    UserStatus,
    Watch,
    Workload,
)
from presence_core.policy import CAS_ATTEMPTS, MAX_EXPIRY_MS, Policy
from presence_core.recorder import Recorder
from presence_core.room_presence import RoomPresence
from presence_core.status import Status
from presence_core.stores.base import Store
from presence_core.sweeper import Sweeper
from presence_core.text import cut, one_line, strip_invisible, visible_length
from presence_core.tokens import ApiDevice, Tokens
from presence_core.views import devices_view, self_view
from presence_core.visibility import Found, Viewer, Visibility
from presence_core.watches import DEFAULT_WATCH_MS, Watches


Clock = Callable[[], int]
MAX_ACTIVITY_LIMIT = 50
CHANNEL_NAME_MAX_LEN = 128
# Channel names this process knows it has written: a bound, not a cache that must hold them all.
CHANNEL_NAMES_CACHED = 10_000


def system_clock() -> int:
    return time.time_ns() // 1_000_000


class PresenceService:
    def __init__(self, store: Store, policy: Policy | None = None, clock: Clock | None = None) -> None:
        self.store = store
        self.policy = policy or Policy()
        self.clock: Clock = clock or system_clock
        self.events = EventBus()
        # Every read of someone else's presence goes through this one rule (SPEC section 7).
        self.visibility = Visibility(store, self.policy, lambda: self.clock())
        self.recorder = Recorder(self)
        self.sweeper = Sweeper(self)
        self._channel_names: OrderedDict[str, str] = OrderedDict()
        self.accounts = Accounts(self)
        self._desk = Desk(self)
        self._watches = Watches(self)
        self.rooms = RoomPresence(self)
        self.chat_joins = ChatJoins(self)
        self.tokens = Tokens(self)

    # lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.store.start(self.events.emit)
        self.sweeper.start()

    async def close(self) -> None:
        await self.sweeper.stop()
        await self.recorder.close()
        await self.store.close()

    async def __aenter__(self) -> PresenceService:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    # events ------------------------------------------------------------------------------------

    def on(self, event: str, handler: Handler | None = None) -> Any:
        return self.events.on(event, handler)

    def off(self, event: str, handler: Handler) -> None:
        self.events.off(event, handler)

    # recording ---------------------------------------------------------------------------------

    async def record_activity(self, user_id: str, activity: Mapping[str, Any] | None = None, *,
                              device_id: str | None = None, user_name: str | None = None,
                              username: str | None = None) -> None:
        """Record one action; concurrent calls are written together in one store call.

        ``activity`` may hold ``type`` (default "message"), ``channel_id``, ``timestamp`` (epoch ms,
        default now), ``device_id``, ``user_name`` (the display name) and ``username`` (the
        platform's unique handle, which ``@x`` matches); the last three may be keyword arguments
        instead. Raises ``InvalidArgumentError`` naming any other key, or a key given both ways.
        """
        await self.recorder.submit(activity_of(user_id, activity, device_id, user_name, username, self.clock(),
                                       self.policy.name_max_len))

    async def heartbeat(self, user_id: str, device_id: str | None = None) -> None:
        """Keep a device alive without writing to the activity log."""
        require_id(user_id, "user_id")
        device = require_device(user_id, device_id or None)
        await self.recorder.submit(Activity(user_id, device, self._device_name(device), "heartbeat", self.clock(),
                                    logged=False))

    async def _emit(self, events: Iterable[Event]) -> None:
        for event in events:
            await self.events.emit(event)

    async def _publish(self, events: Sequence[Event]) -> None:
        """Events decided without a save of their own (room changes of link, unlink, forget): to every process."""
        if events:
            await self.store.publish(events)
            await self._emit(events)

    @property
    def buffered(self) -> int:
        """Activities waiting for the store to come back."""
        return self.recorder.buffered

    async def flush(self) -> None:
        """Wait until every activity recorded so far is written."""
        await self.recorder.flush()

    def _device_name(self, device_id: str) -> str:
        return name_of_device(device_id, self.policy.name_max_len)

    # reads -------------------------------------------------------------------------------------

    async def person_id(self, user_id: str) -> str:
        require_id(user_id, "user_id")
        return (await self.store.resolve([user_id]))[user_id]

    async def _load(self, user_id: str) -> tuple[str, PersonRecord | None]:
        person_id = await self.person_id(user_id)
        return person_id, (await self.store.load([person_id])).get(person_id)

    async def get_status(self, user_id: str, *, viewer_id: str | None = None,
                         channel_id: str | None = None) -> UserStatus:
        """The status ``viewer_id`` may see, asked from ``channel_id`` (see ``get_statuses``)."""
        return (await self.get_statuses([user_id], viewer_id=viewer_id, channel_id=channel_id))[user_id]

    async def get_statuses(self, user_ids: Iterable[str], *, viewer_id: str | None = None,
                           channel_id: str | None = None) -> dict[str, UserStatus]:
        """``{user_id: status}`` as a viewer may see them (SPEC section 7, ``presence_core.visibility``).

        Without ``viewer_id`` and ``channel_id`` the caller is trusted: each person as others see
        them, wherever they are. With ``viewer_id`` alone (a direct chat, an API): people who share a
        channel with the viewer; with ``channel_id`` (the channel the viewer asks from, which the
        caller vouches for): people seen there who have not left. The viewer's own accounts get the
        whole truth; everyone else the answer for a person never seen.
        """
        ids = require_ids(user_ids, "user_ids")
        return await self.visibility.statuses(self.viewer(viewer_id, channel_id), ids)

    def viewer(self, viewer_id: str | None, channel_id: str | None = None) -> Viewer | None:
        """The ``Viewer`` for an account asking from a channel (None: a direct chat or an API);
        None when neither is given (a trusted caller)."""
        if viewer_id is None and channel_id is None:
            return None
        return Viewer(None if viewer_id is None else require_id(viewer_id, "viewer_id"),
                      None if channel_id is None else require_id(channel_id, "channel_id"))

    async def get_activity(self, user_id: str, limit: int = 10, since: int | None = None) -> list[ActivityEvent]:
        return (await self.get_activity_page(user_id, limit, since))[0]

    async def get_activity_page(self, user_id: str, limit: int = 10,
                                since: int | None = None) -> tuple[list[ActivityEvent], bool]:
        """``get_activity``, and whether more entries (not older than ``since``) exist beyond ``limit``."""
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_ACTIVITY_LIMIT:
            raise InvalidArgumentError(f"limit must be between 1 and {MAX_ACTIVITY_LIMIT}")
        if since is not None:
            require_epoch_ms(since, "since")
        events = await self.store.activity(await self.person_id(user_id), limit + 1, since)
        return events[:limit], len(events) > limit

    async def get_devices(self, user_id: str) -> list[DeviceInfo]:
        _, record = await self._load(user_id)
        return devices_view(record, self.clock(), self.policy)

    async def name_channel(self, channel_id: str, name: str) -> None:
        """Remember what people call a channel (a group's title, ``#general``), for activity logs.

        Cheap to call for every message: the store is written only when this process has not
        written that name for that channel yet (a new channel, a renamed one).
        """
        name = cut(strip_invisible(" ".join(require_str(name, "name").split())), CHANNEL_NAME_MAX_LEN)
        if not name or self._channel_names.get(require_id(channel_id, "channel_id")) == name:
            return
        await self.store.name_channels({channel_id: name})
        self._channel_names[channel_id] = name
        self._channel_names.move_to_end(channel_id)
        while len(self._channel_names) > CHANNEL_NAMES_CACHED:
            self._channel_names.popitem(last=False)

    async def get_channel_names(self, channel_ids: Iterable[str]) -> dict[str, str]:
        """The names known for these channels (direct chats have none)."""
        return await self.store.channel_names(sorted(set(require_ids(channel_ids, "channel_ids"))))

    async def get_channel_presence(self, channel_id: str, *, limit: int = 50,
                                   viewer_id: str | None = None) -> ChannelPresence:
        """People present in the channel, best status first then most recent; invisible people never.

        Each person is listed under the account seen in this channel (``user_id``) and its name;
        people whose privacy is ``nobody`` without custom status or last seen.
        """
        require_id(channel_id, "channel_id")
        return await self.visibility.channel(self.viewer(viewer_id, channel_id), channel_id, limit)

    async def find_person(self, name: str, *, viewer_id: str, channel_id: str | None = None,
                          usernames_only: bool = False) -> Found:
        """The account a typed name stands for among the people the viewer may see (``Visibility.find``)."""
        viewer = Viewer(require_id(viewer_id, "viewer_id"), None if channel_id is None else require_id(channel_id, "channel_id"))
        return await self.visibility.find(viewer, name, usernames_only=usernames_only)

    # membership (SPEC section 10) ----------------------------------------------------------------

    async def memberships(self, user_id: str) -> list[Membership]:
        """The channels any account of this person was seen in and has not left, most recent first."""
        person_id = await self.person_id(user_id)
        found = await self.store.memberships(person_id, self.clock() - self.policy.membership_ttl_ms)
        return sorted(found, key=lambda m: (-m.last_seen, m.channel_id, m.account_id))

    async def is_member(self, user_id: str, channel_id: str) -> bool:
        """Whether this person (through any of their accounts) was seen in the channel and has not left it."""
        require_id(channel_id, "channel_id")
        return any(m.channel_id == channel_id for m in await self.memberships(user_id))

    async def end_membership(self, channel_id: str, user_ids: Sequence[str]) -> None:
        """These accounts left the channel, or were removed or banned from it: no longer listed there."""
        require_id(channel_id, "channel_id")
        await self.flush()
        accounts = require_ids(user_ids, "user_ids")
        await self.store.end_membership(channel_id, accounts)
        await self.store.set_desk([Membership(channel_id, a, 0) for a in accounts], False)
        await self._publish(await self._left_chat(channel_id, accounts))

    async def _left_chat(self, channel_id: str, accounts: Sequence[str]) -> list[RoomChange]:
        """A leave of the chat for each person of ``accounts`` none of whose accounts is a member any more
        (live feeds show it at once)."""
        people = sorted(set((await self.store.resolve(accounts)).values()))
        now = self.clock()
        still = await self.store.memberships_of(people, now - self.policy.membership_ttl_ms)
        return [RoomChange(channel_id, person, None, now) for person in people
                if all(m.channel_id != channel_id for m in still.get(person, []))]

    async def move_channel(self, old_id: str, new_id: str) -> None:
        """A channel changed its id (a Telegram group became a supergroup): its people move along."""
        require_id(old_id, "channel_id")
        require_id(new_id, "channel_id")
        await self.flush()
        await self.store.move_channel(old_id, new_id)
        await self.store.move_desk(old_id, new_id)

    async def drop_channel(self, channel_id: str) -> None:
        """The bot is no longer in the channel: forget who was in it."""
        require_id(channel_id, "channel_id")
        await self.flush()
        await self.store.drop_channel(channel_id)
        await self.store.move_desk(channel_id, None)

    async def get_online_users(self, channel_id: str, *, limit: int = 50) -> list[OnlineUser]:
        return list((await self.get_channel_presence(channel_id, limit=limit)).users)

    async def get_sync_status(self, user_id: str) -> SyncStatus:
        _, record = await self._load(user_id)
        return self._sync_view(record)

    def _sync_view(self, record: PersonRecord | None) -> SyncStatus:
        if record is None:
            return SyncStatus(0, 0, None)
        now = self.clock()
        synced = sum(rules.is_synced(record, d, now, self.policy) for d in record.devices.values())
        return SyncStatus(synced, len(record.devices), record.last_sync)

    # changes -----------------------------------------------------------------------------------

    async def _new_record(self, person_id: str) -> PersonRecord:
        """A person not stored yet; an account that asked to be forgotten with tracking off stays untracked."""
        untracked = await self.store.do_not_track([person_id])
        return PersonRecord(person_id, tracking=person_id not in untracked)

    async def _update(self, user_id: str, change: Callable[[PersonRecord, int], None]) -> PersonRecord:
        """Load, change, settle and compare-and-set one person; the winner announces what changed."""
        person_id = await self.person_id(user_id)
        for _ in range(CAS_ATTEMPTS):
            record = (await self.store.load([person_id])).get(person_id) or await self._new_record(person_id)
            expected, now = record.version, self.clock()
            before = rooms.members(record, now, self.policy)
            was_hidden = rules.is_hidden(record, now)
            change(record, now)
            rules.keep_shown_custom(record, was_hidden, now)
            events = [*rules.settle(record, now, self.policy),
                      *rooms.changes(person_id, before, rooms.staying(
                          record, before, rooms.members(record, now, self.policy), now, self.policy), now)]
            if await self.store.save(record, expected, events):
                await self._emit(events)
                return record
        raise ConcurrentUpdateError(f"the state of {user_id!r} kept changing; try again")

    def _expiry(self, expires_at_ms: int | None) -> int | None:
        """``expires_at_ms`` checked: None, or a time in the next ``MAX_EXPIRY_MS`` (the longest duration
        a chat command takes, so every way in allows the same)."""
        if expires_at_ms is None:
            return None
        require_epoch_ms(expires_at_ms, "expires_at_ms")
        now = self.clock()
        if expires_at_ms <= now:
            raise InvalidArgumentError("expires_at_ms must be in the future")
        if expires_at_ms - now > MAX_EXPIRY_MS:
            raise InvalidArgumentError("expires_at_ms must be at most 365 days ahead")
        return expires_at_ms

    async def set_status(self, user_id: str, status: str | Status, *, expires_at_ms: int | None = None,
                         device_id: str | None = None, via: str | None = None) -> UserStatus:
        """Choose a status by hand for the person, or for one device when ``device_id`` is given.

        ``via`` is the device the choice was made on (the account itself when None, else one under it,
        such as an API token's device): choosing ``online`` counts as being there now on that device.
        """
        require_id(user_id, "user_id")
        acting = require_device(user_id, via)
        chosen = Status.parse(status)
        if device_id is not None:
            await self.set_device_status(user_id, device_id, chosen, expires_at_ms=expires_at_ms)
            return await self.get_status(user_id, viewer_id=user_id)
        expiry = self._expiry(expires_at_ms)
        if chosen is Status.ONLINE and expiry is not None:
            raise InvalidArgumentError("online cannot expire: it already returns to automatic")
        device = DeviceRecord(acting, self._device_name(acting))
        record = await self._update(user_id, lambda r, now: rules.set_manual(r, chosen, expiry, now, device))
        return self_view(record, user_id, self.clock(), self.policy)

    async def set_device_status(self, user_id: str, device_id: str, status: str | Status | None, *,
                                expires_at_ms: int | None = None) -> None:
        """A device's own status as its platform reports it; None returns it to automatic. The device is
        the account itself or one under it (``discord:1/desktop``); raises ``InvalidArgumentError`` else."""
        require_id(user_id, "user_id")
        if not isinstance(device_id, str):
            raise InvalidArgumentError("device_id must be a non-empty string")
        require_device(user_id, device_id)
        reported = None if status is None else Status.parse(status)
        expiry = self._expiry(expires_at_ms)
        device = DeviceRecord(device_id, self._device_name(device_id))

        def change(record: PersonRecord, now: int) -> None:
            if record.tracking:  # a platform's report is recorded activity too
                rules.set_device_reported(record, device, reported, expiry, now)
        await self._update(user_id, change)

    async def set_custom_status(self, user_id: str, text: str, *, expires_at_ms: int | None = None) -> None:
        if not isinstance(text, str):
            raise InvalidArgumentError("custom status must be a string")
        text = one_line(text)
        if not text:
            raise EmptyTextError("custom status", "; use clear_custom_status to remove it")
        if visible_length(text) > self.policy.custom_status_max_len:
            raise TextTooLongError("custom status", self.policy.custom_status_max_len)
        expiry = self._expiry(expires_at_ms)

        def change(record: PersonRecord, now: int) -> None:
            record.custom, record.custom_expires, record.changed_at = text, expiry, now
        await self._update(user_id, change)

    async def clear_custom_status(self, user_id: str) -> None:
        def change(record: PersonRecord, now: int) -> None:
            record.custom = record.custom_expires = None
            record.changed_at = now
        await self._update(user_id, change)

    async def set_tracking(self, user_id: str, enabled: bool) -> None:
        """With tracking off nothing of this person is recorded and others see them offline."""
        require_bool(enabled, "enabled")

        def change(record: PersonRecord, now: int) -> None:
            record.tracking = enabled
        await self._update(user_id, change)

    async def set_privacy(self, user_id: str, privacy: str) -> None:
        """Who sees the person's last seen and custom status: "shared" or "nobody" (SPEC section 7)."""
        if privacy not in PRIVACY_CHOICES:
            raise InvalidArgumentError(f"privacy must be one of {', '.join(PRIVACY_CHOICES)}")

        def change(record: PersonRecord, now: int) -> None:
            record.privacy = privacy
        await self._update(user_id, change)

    async def get_privacy(self, user_id: str) -> str:
        """The person's privacy choice ("shared" by default)."""
        _, record = await self._load(user_id)
        return record.privacy if record else PRIVACY_CHOICES[0]

    async def sync(self, user_id: str) -> SyncStatus:
        record = await self._update(user_id, lambda r, now: rules.sync(r, now, self.policy))
        return self._sync_view(record)

    # linked accounts (SPEC sections 6 and 7): presence_core.accounts -----------------------------

    async def create_link_code(self, user_id: str) -> str:
        """A one-time code that another account redeems with ``link_account`` within 10 minutes."""
        return await self.accounts.create_link_code(user_id)

    async def link_account(self, user_id: str, code: str) -> str:
        """Join this account into the person who made ``code``; returns that person's id. Raises
        ``InvalidLinkCodeError``, ``LinkSameAccountError``, ``AlreadyLinkedError``, ``LinkRateLimitedError``."""
        return await self.accounts.link(user_id, code)

    async def unlink_account(self, user_id: str, account_id: str) -> None:
        """Make a linked account a person of its own again, with its own devices; raises ``UnknownDeviceError``."""
        await self.accounts.unlink(user_id, account_id)

    async def linked_accounts(self, user_id: str) -> list[str]:
        """Every account of the person, the one they were first known by first."""
        return await self.accounts.linked(user_id)

    async def account_names(self, user_id: str) -> dict[str, str]:
        """Every account of the person -> its device name, unique within the person and typeable
        (``telegram``, ``console alice``; SPEC section 6), the first known account first."""
        return await self.accounts.names(user_id)

    async def forget(self, user_id: str) -> list[str]:
        """Erase everything stored about the person this account belongs to; returns their accounts
        (``Accounts.forget``)."""
        return await self.accounts.forget(user_id)

    # rooms and API tokens (SPEC section 11): presence_core.room_presence and presence_core.tokens ---

    async def room_heartbeat(self, user_id: str, device_id: str, room_id: str | None = None,
                             location: object = rooms.KEEP, *,
                             admit: Callable[[], Awaitable[None]] | None = None) -> list[str]:
        """See ``RoomPresence.heartbeat``: keeps an app device alive, joins or moves it in a room."""
        return await self.rooms.heartbeat(user_id, require_device(require_id(user_id, "user_id"), device_id),
                                          room_id, location, admit=admit)

    async def leave_room(self, user_id: str, device_id: str, room_id: str | None = None) -> list[str]:
        """The device leaves the room (every room when None); returns the rooms it is still in."""
        return await self.rooms.leave(user_id, require_device(require_id(user_id, "user_id"), device_id), room_id)

    async def get_room(self, room_id: str, *, viewer_id: str) -> list[RoomMember]:
        """The people of a room that ``viewer_id`` may see; raises ``RoomForbiddenError``."""
        return await self.rooms.listing(room_id, viewer_id)

    async def create_token(self, user_id: str, name: str) -> str:
        return await self.tokens.create(user_id, name)

    async def list_tokens(self, user_id: str) -> list[TokenInfo]:
        return await self.tokens.list(user_id)

    async def revoke_token(self, user_id: str, name: str) -> None:
        await self.tokens.revoke(user_id, name)

    async def authenticate(self, token: str) -> ApiDevice | None:
        return await self.tokens.authenticate(token)

    # availability and watches (SPEC section 12; presence_core.desk and presence_core.watches) ----

    async def get_availability(self, user_id: str) -> AvailabilityInfo:
        """The person's own capacity, load, skills, hours and whether they are available now."""
        return await self._desk.get(user_id)

    async def set_capacity(self, user_id: str, capacity: int | None) -> AvailabilityInfo:
        """At most ``capacity`` items at once (1-100), or None for no limit."""
        return await self._desk.set_capacity(user_id, capacity)

    async def set_skills(self, user_id: str, skills: Sequence[str]) -> AvailabilityInfo:
        """Up to 20 one-word tags (stored case-folded); an empty list clears them."""
        return await self._desk.set_skills(user_id, skills)

    async def set_hours(self, user_id: str, intervals: Sequence[Sequence[int]] | None,
                        zone: str | None = None) -> AvailabilityInfo:
        """Weekly working hours as Telegram Business intervals (``presence_core.hours``) in an IANA
        zone, or None to clear them. Raises ``UnknownTimeZoneError`` for an unknown zone."""
        return await self._desk.set_hours(user_id, intervals, zone)

    async def take(self, user_id: str, n: int = 1, *, force: bool = False) -> Workload:
        """``n`` more items (1-100), atomically; raises ``OverCapacityError`` past the capacity unless ``force``."""
        return await self._desk.take(user_id, n, force=force)

    async def done(self, user_id: str, n: int = 1) -> Workload:
        """``n`` items finished; the load never goes below 0."""
        return await self._desk.done(user_id, n)

    async def get_available(self, channel_id: str, skill: str | None = None, *,
                            viewer_id: str | None = None) -> list[AvailableUser]:
        """People of the channel who can take work now (with ``skill``), least loaded first, ties to
        the longest since their last pick; each under the account seen there."""
        return await self._desk.get_available(require_id(channel_id, "channel_id"), skill, viewer_id=viewer_id)

    async def pick(self, channel_id: str, skill: str | None = None, *,
                   viewer_id: str | None = None) -> AvailableUser | None:
        """Give the first of ``get_available`` one more item (never past a capacity); None when nobody is available."""
        return await self._desk.pick(require_id(channel_id, "channel_id"), skill, viewer_id=viewer_id)

    async def watch(self, watcher_id: str, target_id: str, channel_id: str, *, duration_ms: int = DEFAULT_WATCH_MS,
                    locale: str | None = None) -> Watch | None:
        """Tell ``watcher_id`` once when ``target_id`` next becomes available (see ``presence_core.watches``)."""
        for value, what in ((watcher_id, "watcher_id"), (target_id, "target_id"), (channel_id, "channel_id")):
            require_id(value, what)
        return await self._watches.watch(watcher_id, target_id, channel_id, duration_ms=duration_ms, locale=locale)

    async def unwatch(self, watcher_id: str, target_id: str) -> bool:
        return await self._watches.unwatch(require_id(watcher_id, "watcher_id"), require_id(target_id, "target_id"))

    async def get_watches(self, user_id: str) -> list[Watch]:
        return await self._watches.get_watches(require_id(user_id, "user_id"))

    async def get_watchers(self, user_id: str) -> list[Watch]:
        return await self._watches.get_watchers(require_id(user_id, "user_id"))

    async def claim_watches(self, person_id: str, platforms: list[str]) -> list[Watch]:
        """For whoever delivers watches: those now due on this person, each to one caller only."""
        return await self._watches.claim(person_id, platforms)

    async def count_hit(self, kind: str, subject: str, window_ms: int) -> int:
        """Hits of ``kind`` by ``subject`` in the current window, this one included, across every process.

        The subject is hashed into the key: a counter never holds an id that ``forget`` would miss.
        """
        require_id(kind, "kind")
        if not isinstance(window_ms, int) or isinstance(window_ms, bool) or window_ms <= 0:
            raise InvalidArgumentError("window_ms must be a positive int (milliseconds)")
        digest = hashlib.sha256(require_str(subject, "subject").encode("utf-8", "surrogatepass")).hexdigest()[:24]
        return await self.store.hit(f"{kind}:{digest}", window_ms, self.clock())

    async def sweep(self, limit: int = 1000) -> list[Event]:
        """Apply every expiry and idle transition that is due now; returns the events this process won
        (``Sweeper.sweep``)."""
        return await self.sweeper.sweep(limit)
