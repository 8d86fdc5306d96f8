"""Availability for work through the service (SPEC section 12): settings, load, who is available, pick.

The rules are ``presence_core.availability``; this module reads and writes through the store
contract: settings by the service's compare-and-set update, load by ``Store.change_load`` (atomic
per person in every backend), channel lists from the channel's desk index (``Store.desk_view``),
whose cost grows with the people who use availability there, never with everyone in the channel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from presence_core import availability, hours as weekly, rules
from presence_core.errors import InvalidArgumentError, OverCapacityError
from presence_core.models import AvailabilityInfo, AvailableUser, LoadChange, LoadOutcome, PersonRecord, Workload

if TYPE_CHECKING:
    from presence_core.service import PresenceService

MAX_TAKE = availability.MAX_CAPACITY
# A pick tries this many people in order before reading the desk again (others picked meanwhile).
PICK_TRIES = 5
PICK_ROUNDS = 3


def available_now(record: PersonRecord, now: int, service: PresenceService) -> bool:
    """Exactly: a record not yet settled past its due time is settled on a copy first."""
    if record.due is not None and record.due <= now:
        record = record.copy()
        rules.settle(record, now, service.policy)
    return record.available


def info(record: PersonRecord | None, now: int) -> AvailabilityInfo:
    if record is None:
        return AvailabilityInfo(None, 0, (), (), None, True, False, False)
    return AvailabilityInfo(record.capacity, record.load, tuple(record.skills),
                            tuple((s, e) for s, e in record.hours), record.hours_zone,
                            availability.within_hours(record, now), record.available,
                            availability.uses_availability(record))


def _count(n: int, limit: int, what: str) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= limit:
        raise InvalidArgumentError(f"{what} must be an int from 1 to {limit}")
    return n


class Desk:
    def __init__(self, service: PresenceService) -> None:
        self.service = service

    # settings ----------------------------------------------------------------------------------

    async def get(self, user_id: str) -> AvailabilityInfo:
        _, record = await self.service._load(user_id)
        return info(record, self.service.clock())

    async def _configure(self, user_id: str, change: Callable[[PersonRecord], None]) -> AvailabilityInfo:
        """Change settings; a person who starts or stops using availability joins or leaves the desks
        of their channels."""
        used: list[bool] = []

        def apply(record: PersonRecord, now: int) -> None:
            used.append(availability.uses_availability(record))
            change(record)
        record = await self.service._update(user_id, apply)
        uses = availability.uses_availability(record)
        if uses or used[-1]:
            memberships = await self.service.memberships(user_id)
            await self.service.store.set_desk(memberships, uses)
        return info(record, self.service.clock())

    async def set_capacity(self, user_id: str, capacity: int | None) -> AvailabilityInfo:
        chosen = availability.check_capacity(capacity)

        def change(record: PersonRecord) -> None:
            record.capacity = chosen
        return await self._configure(user_id, change)

    async def set_skills(self, user_id: str, skills: Sequence[str]) -> AvailabilityInfo:
        tags = availability.normalize_skills(skills)

        def change(record: PersonRecord) -> None:
            record.skills = list(tags)
        return await self._configure(user_id, change)

    async def set_hours(self, user_id: str, intervals: Sequence[Sequence[int]] | None,
                        zone: str | None) -> AvailabilityInfo:
        if not intervals:
            canonical: list[list[int]] = []
            zone = None
        else:
            canonical = weekly.normalize(intervals)
            if zone is None:
                raise InvalidArgumentError("working hours need a time zone")
            weekly.zone(zone)

        def change(record: PersonRecord) -> None:
            record.hours, record.hours_zone = [list(i) for i in canonical], zone
        return await self._configure(user_id, change)

    # load --------------------------------------------------------------------------------------

    async def _change_load(self, person_id: str, change: LoadChange) -> LoadOutcome:
        service = self.service
        outcome = await service.store.change_load(person_id, change, service.clock(), service.policy)
        for event in outcome.events:
            await service.events.emit(event)
        return outcome

    async def _own_load(self, user_id: str, change: LoadChange) -> LoadOutcome:
        person_id = await self.service.person_id(user_id)
        outcome = await self._change_load(person_id, change)
        if outcome.refused == "unknown":  # a person not stored yet: as any first change, it creates them
            await self.service._update(user_id, lambda record, now: None)
            outcome = await self._change_load(person_id, change)
        return outcome

    @staticmethod
    def _workload(outcome: LoadOutcome) -> Workload:
        record = outcome.record
        if record is None:
            return Workload(0, None, False)
        return Workload(record.load, record.capacity, record.available)

    async def take(self, user_id: str, n: int = 1, *, force: bool = False) -> Workload:
        outcome = await self._own_load(user_id, LoadChange(_count(n, MAX_TAKE, "take"), force=force))
        if outcome.refused == "full" and outcome.record is not None:
            raise OverCapacityError(outcome.record.load, outcome.record.capacity)
        return self._workload(outcome)

    async def done(self, user_id: str, n: int = 1) -> Workload:
        return self._workload(await self._own_load(
            user_id, LoadChange(-_count(n, availability.MAX_LOAD, "done"))))

    # channels ----------------------------------------------------------------------------------

    async def get_available(self, channel_id: str, skill: str | None = None, *,
                            viewer_id: str | None = None) -> list[AvailableUser]:
        """Who in the channel can take work now, in pick order; only people ``viewer_id`` may see there."""
        service = self.service
        now = service.clock()
        desk = await service.store.desk_view(channel_id, now - service.policy.membership_ttl_ms, now)
        accounts = [u.user_id for u in desk.available] + [a for a, _ in desk.due]
        visible = await service.visibility.in_channel(viewer_id, channel_id, accounts, members=accounts)
        wanted = None if skill is None else availability.skill_key(skill)
        found = [u for u in desk.available if u.user_id in visible and (wanted is None or wanted in u.skills)]
        found += [availability.as_available(a, r) for a, r in desk.due
                  if a in visible and (wanted is None or wanted in r.skills) and available_now(r, now, service)]
        return sorted(found, key=availability.pick_order)

    async def pick(self, channel_id: str, skill: str | None = None, *,
                   viewer_id: str | None = None) -> AvailableUser | None:
        """Give one more item to the first available person in pick order; None when nobody is.

        Each try is a compare-and-set on the load it chose by, so concurrent picks, in any
        process, spread over people in order and never pass anyone's capacity.
        """
        for _ in range(PICK_ROUNDS):
            candidates = await self.get_available(channel_id, skill, viewer_id=viewer_id)
            if not candidates:
                return None
            persons = await self.service.store.resolve([c.user_id for c in candidates[:PICK_TRIES]])
            for candidate in candidates[:PICK_TRIES]:
                outcome = await self._change_load(persons[candidate.user_id],
                                                  LoadChange(1, pick=True, expected_load=candidate.load))
                if outcome.refused is None and outcome.record is not None:
                    return availability.as_available(candidate.user_id, outcome.record)
        return None
