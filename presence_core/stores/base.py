"""The store contract: what every backend (memory, sqlite, redis) provides to the service.

Designed for batching and for atomic read-modify-write of one person:
- the hot path hands ``record`` a batch of activities (often of one) and gets back the real
  status transitions it caused, decided atomically inside the store (``rules.apply_activity``);
- every other change is load -> change in Python (``rules``) -> ``save`` with compare-and-set on
  ``PersonRecord.version``, so two processes never both announce the same transition;
- a store announces the events it committed (``record``, ``save``) or was given (``publish``) to
  the other processes sharing it, and hands theirs to the listener given to ``start``; a store
  shared by no other process has nobody to tell. Events travel in the form of
  ``presence_core.events.to_wire``.

Ids: ``user_id`` is an account (``telegram:42``), a person id is the account a person was first
known by; ``resolve`` maps accounts to persons. Any string may be an id: backends must keep one
id from reaching another's data (escape or hash ids in keys).
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence

from presence_core.models import (
    Activity,
    ActivityEvent,
    DeskView,
    Event,
    LoadChange,
    LoadOutcome,
    Membership,
    PersonRecord,
    TokenRecord,
    Watch,
)
from presence_core.policy import Policy
from presence_core.stores import load_cas

EventListener = Callable[[Event], Awaitable[None]]


def account_digest(account_id: str) -> str:
    """What a do-not-track marker is keyed by: the SHA-1 hex of the account id (the Redis script
    computes it too), so a store keeps no readable id of someone who asked to be forgotten."""
    return hashlib.sha1(account_id.encode("utf-8", "surrogatepass")).hexdigest()


class Store(ABC):
    """One backend. Methods are coroutines; reads of several people are one round trip."""

    async def start(self, listener: EventListener | None = None) -> None:
        """Connect; ``listener`` hears the events committed or published by other processes."""

    async def close(self) -> None:
        """Flush and disconnect."""

    @abstractmethod
    async def record(self, batch: Sequence[Activity], policy: Policy, *, token: str | None = None) -> list[Event]:
        """Apply a batch of activities with ``rules.apply_activity``, atomically per person.

        Resolves each ``user_id`` to its person; creates unknown people, except for accounts with a
        do-not-track marker; skips people whose ``tracking`` is off; appends logged activities to the person's log (capped by
        ``policy.activity_max_count`` and ``policy.activity_max_age_ms``); marks the *account*
        seen in ``channel_id`` (a membership, see ``memberships``), and in the channel's desk index
        when the person uses availability (``desk_view``). Returns the events it decided (status
        transitions, then changes of availability, ``rules.apply_activity``), in batch order, and
        announces them to the other processes.

        ``token`` names the batch: written again with the same token after its outcome was unknown
        (the call failed with ``StoreUnavailableError``, yet may have committed), it applies once,
        returning no events the second time. Stores whose failed calls never commit may ignore it.
        """

    @abstractmethod
    async def load(self, person_ids: Sequence[str]) -> dict[str, PersonRecord]:
        """The records that exist, by person id; each is the caller's own copy."""

    @abstractmethod
    async def save(self, record: PersonRecord, expected_version: int, events: Sequence[Event] = ()) -> bool:
        """Write ``record`` if the stored version is still ``expected_version`` (0: absent).

        On success the stored version (and ``record.version``) is one more, the due index holds
        ``record.due``, and ``events`` (decided with this write) are announced to other processes.
        False when someone else wrote first; nothing is changed or announced then.
        """

    async def publish(self, events: Sequence[Event]) -> None:
        """Announce events that change no stored person to the other processes sharing the store."""

    @abstractmethod
    async def resolve(self, user_ids: Sequence[str]) -> dict[str, str]:
        """The person each account belongs to (itself unless linked), for every id given."""

    @abstractmethod
    async def activity(self, person_id: str, limit: int, since: int | None) -> list[ActivityEvent]:
        """The person's logged activity, newest first, at most ``limit``, not older than ``since``."""

    @abstractmethod
    async def channel_people(self, channel_id: str, since: int,
                             limit: int) -> tuple[list[tuple[str, PersonRecord]], int]:
        """Members seen in the channel at or after ``since``, most recent first: up to ``limit`` pairs of
        (the account seen there, its person's record), each person once under their most recent
        account there; and how many accounts were seen there since then in all."""

    @abstractmethod
    async def memberships(self, person_id: str, since: int) -> list[Membership]:
        """Every membership of the person's accounts last renewed at or after ``since``.

        A membership starts with the account's first activity in a channel, is renewed by each
        one, and ends with ``end_membership``, ``drop_channel``, ``forget``, or when it was not
        renewed for ``policy.membership_ttl_ms`` (a store may then drop it at any time).
        Memberships belong to accounts: a link or unlink moves none of them.
        """

    async def memberships_of(self, person_ids: Sequence[str], since: int) -> dict[str, list[Membership]]:
        """``memberships`` of several people in one round trip: every id given -> its list (maybe empty).

        The visibility rule asks this of every person it answers about (presence_core.visibility).
        """
        return {p: await self.memberships(p, since) for p in dict.fromkeys(person_ids)}

    @abstractmethod
    async def end_membership(self, channel_id: str, account_ids: Sequence[str]) -> None:
        """These accounts left the channel (or were removed or banned): their memberships end now."""

    @abstractmethod
    async def move_channel(self, old_id: str, new_id: str) -> None:
        """Every membership of ``old_id`` becomes one of ``new_id`` (the later time wins where both exist)."""

    @abstractmethod
    async def drop_channel(self, channel_id: str) -> None:
        """End every membership of the channel."""

    async def housekeep(self, now: int, policy: Policy) -> None:
        """Remove what expired before ``now``: memberships, link codes, rate-limit counters.

        The service calls it from its sweep every few minutes; a store whose data expires by itself
        (Redis TTLs) need not do anything.
        """

    @abstractmethod
    async def due(self, now: int, limit: int) -> list[str]:
        """Person ids whose ``due`` time is at or before ``now``, earliest first."""

    @abstractmethod
    async def merge(self, into: PersonRecord, expected_version: int, absorbed_id: str) -> bool:
        """Join person ``absorbed_id`` into ``into`` (computed by the caller from both records).

        Atomically (CAS on ``into``): save ``into``, move the absorbed person's activity log and
        channel memberships to ``into``, point all of its accounts at ``into.id``, delete it.
        """

    @abstractmethod
    async def split(self, record: PersonRecord, expected_version: int, split_off: PersonRecord) -> bool:
        """Undo a link: save ``record`` (CAS) and make account ``split_off.id`` a person of its own,
        stored as ``split_off``. The activity log stays with ``record``."""

    @abstractmethod
    async def forget(self, person_id: str, *, do_not_track: bool = False, events: Sequence[Event] = ()) -> None:
        """Erase the person: record, activity log, channel memberships, due entry, account links, and
        the link codes any of their accounts issued and the API tokens of every account of theirs;
        ``events`` (the person leaving their rooms) are announced to the other processes with the erase,
        and nothing the store announced stays behind naming the person.

        With ``do_not_track`` each of their accounts keeps a do-not-track marker (keyed by
        ``account_digest``, the one thing kept), so that ``record`` never creates them again;
        without it, markers of their accounts are erased too.
        """

    @abstractmethod
    async def do_not_track(self, account_ids: Sequence[str]) -> set[str]:
        """The accounts among these that carry a do-not-track marker."""

    @abstractmethod
    async def put_code(self, code_hash: str, owner_id: str, expires_at: int) -> None:
        """Store a one-time link code (already hashed) for ``owner_id`` until ``expires_at``."""

    @abstractmethod
    async def take_code(self, code_hash: str, now: int) -> str | None:
        """The owner of an unexpired code, deleting it so it works once; None when unknown or expired."""

    @abstractmethod
    async def hit(self, key: str, window_ms: int, now: int) -> int:
        """Count one hit on ``key`` in the fixed window containing ``now``; returns the count so far.

        Shared by every process on the store: rate limits for link attempts and commands.
        """

    # availability and watches (SPEC section 12) ------------------------------------------------------

    async def change_load(self, person_id: str, change: LoadChange, now: int, policy: Policy) -> LoadOutcome:
        """Change the person's load atomically: ``availability.apply_load`` on their record settled at
        ``now``, then settled again; the events of both announced with the write.

        Two changes at once never both pass the capacity. The default is a compare-and-set loop on
        ``load``/``save``; a backend may do it in one step. Raises ``ConcurrentUpdateError`` when the
        person keeps changing under it.
        """
        return await load_cas.change_load(self, person_id, change, now, policy)

    @abstractmethod
    async def desk_view(self, channel_id: str, since: int, now: int) -> DeskView:
        """The desk of a channel at ``now``: people who use availability, seen there at or after
        ``since`` and not gone since (left, moved, forgotten), each person once under their most
        recent account there. Those due by ``now`` come whole, for the caller to settle; of the
        others, exactly those announced available, as ``AvailableUser``.

        Costs what the desk costs, never what the whole channel costs.
        """

    @abstractmethod
    async def set_desk(self, memberships: Sequence[Membership], listed: bool) -> None:
        """List (``listed``, at each membership's ``last_seen``) or unlist these accounts in the desk
        index of these channels; ``record`` keeps it current for people who use availability."""

    @abstractmethod
    async def move_desk(self, old_id: str, new_id: str | None) -> None:
        """A channel's desk follows it to ``new_id`` (the later time wins), or is dropped (None)."""

    @abstractmethod
    async def add_watch(self, watch: Watch, limit: int, now: int) -> bool:
        """Store a watch, replacing the watcher's earlier one on the same target; False (nothing
        stored) when the watcher already has ``limit`` unexpired watches on others."""

    @abstractmethod
    async def watches(self, watcher_ids: Sequence[str], now: int) -> list[Watch]:
        """The unexpired watches these accounts made."""

    @abstractmethod
    async def watchers(self, target_ids: Sequence[str], now: int) -> list[Watch]:
        """The unexpired watches on these accounts."""

    @abstractmethod
    async def remove_watch(self, watcher_id: str, target_id: str) -> bool:
        """End one watch; False when there was none."""

    @abstractmethod
    async def claim_watches(self, target_ids: Sequence[str], platforms: Sequence[str], now: int) -> list[Watch]:
        """Take the unexpired watches on these accounts made from accounts of these platforms
        (``"telegram"`` for ``telegram:42``): each is returned to exactly one caller, across every
        process sharing the store, and is gone afterwards."""

    @abstractmethod
    async def forget_availability(self, person_id: str, account_ids: Sequence[str]) -> None:
        """Erase the person's desk entries in every channel and every watch made by or on these
        accounts of theirs (``forget``, before ``forget`` itself)."""
    @abstractmethod
    async def name_channels(self, names: Mapping[str, str]) -> None:
        """Remember each channel's display name (channel id -> name), replacing a name stored before."""

    @abstractmethod
    async def channel_names(self, channel_ids: Sequence[str]) -> dict[str, str]:
        """The stored names of these channels; channels without one are left out."""

    # API tokens (SPEC section 11): stored by hash, owned by an account, named uniquely per account.

    @abstractmethod
    async def add_token(self, token: TokenRecord) -> bool:
        """Store a new token; False (and nothing stored) when its owner already has one of that name."""

    @abstractmethod
    async def find_token(self, token_hash: str) -> TokenRecord | None:
        """The token with this hash, or None when unknown or revoked."""

    @abstractmethod
    async def tokens(self, owner_ids: Sequence[str]) -> list[TokenRecord]:
        """Every token owned by any of these accounts, in no particular order."""

    @abstractmethod
    async def revoke_token(self, owner_id: str, name: str) -> bool:
        """Delete the owner's token of that name; False when there was none."""

    @abstractmethod
    async def touch_token(self, token_hash: str, at: int) -> None:
        """Note that the token was used at ``at``; a revoked token stays revoked."""
