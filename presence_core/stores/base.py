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

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence

from presence_core.models import Activity, ActivityEvent, Event, PersonRecord
from presence_core.policy import Policy

EventListener = Callable[[Event], Awaitable[None]]


class Store(ABC):
    """One backend. Methods are coroutines; reads of several people are one round trip."""

    async def start(self, listener: EventListener | None = None) -> None:
        """Connect; ``listener`` hears the events committed or published by other processes."""

    async def close(self) -> None:
        """Flush and disconnect."""

    @abstractmethod
    async def record(self, batch: Sequence[Activity], policy: Policy) -> list[Event]:
        """Apply a batch of activities with ``rules.apply_activity``, atomically per person.

        Resolves each ``user_id`` to its person; creates unknown people; skips people whose
        ``tracking`` is off; appends logged activities to the person's log (capped by
        ``policy.activity_max_count`` and ``policy.activity_max_age_ms``); marks the person seen
        in ``channel_id``. Returns the events it decided (status transitions), in batch order, and
        announces them to the other processes.
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
    async def channel_people(self, channel_id: str, since: int, limit: int) -> tuple[list[PersonRecord], int]:
        """People seen in the channel at or after ``since``, most recent first: up to ``limit`` records,
        and how many such people there are in all. May forget memberships older than ``since``."""

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
    async def forget(self, person_id: str) -> None:
        """Erase the person: record, activity log, channel memberships, due entry, account links."""

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

    @abstractmethod
    async def remove_expired(self, now: int) -> None:
        """Drop link codes and rate-limit windows that ended at or before ``now`` (the sweep's housekeeping).

        Backends whose keys expire by themselves (Redis) have nothing to do.
        """

    @abstractmethod
    async def name_channels(self, names: Mapping[str, str]) -> None:
        """Remember each channel's display name (channel id -> name), replacing a name stored before."""

    @abstractmethod
    async def channel_names(self, channel_ids: Sequence[str]) -> dict[str, str]:
        """The stored names of these channels; channels without one are left out."""
