"""Availability for work (SPEC section 12), as pure functions over a PersonRecord and a time.

A person is available when their public status is online, they are within their working hours
(if set) and their load is under their capacity (if set). Events ``available``/``unavailable``
concern the people who use availability (``uses_availability``); for anyone else available means
online, and the status events tell it. ``settle`` recomputes the derived
fields (``open_from``/``open_until``, the hours window, and ``available``, what was announced) and
announces real changes; ``decide`` uses only derived and stored fields, so the activity path of a
store (``rules.apply_activity``, the Redis record script) and the Redis load script decide the
same way without any time-zone rules. Hours boundaries are due times for the sweep.

Choosing whom to give work ("pick"): least loaded first, ties to whoever was picked longest ago
(never first) — Intercom's balanced assignment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from presence_core import hours as weekly
from presence_core.errors import InvalidArgumentError
from presence_core.models import AvailabilityChange, AvailableUser, DeskView, LoadChange, PersonRecord
from presence_core.status import Status
from presence_core.text import visible_length

MAX_CAPACITY = 100
MAX_SKILLS = 20
MAX_SKILL_LENGTH = 32
# No load beyond this, even forced: a typo like "take 1000000" is refused, not stored.
MAX_LOAD = 10 * MAX_CAPACITY


def uses_availability(record: PersonRecord) -> bool:
    """Whether the person set anything of it: they are among the people ``available`` and ``pick`` consider."""
    return record.capacity is not None or bool(record.hours) or bool(record.skills)


def check_capacity(capacity: int | None) -> int | None:
    if capacity is not None and (not isinstance(capacity, int) or isinstance(capacity, bool)
                                 or not 1 <= capacity <= MAX_CAPACITY):
        raise InvalidArgumentError(f"capacity must be an int from 1 to {MAX_CAPACITY}, or None for no limit")
    return capacity


def normalize_skills(skills: Sequence[str]) -> list[str]:
    """Tags as stored: trimmed, case-folded, without '#', each once, in the order given.

    Raises ``InvalidArgumentError`` for more than ``MAX_SKILLS`` tags, an empty or over-long tag,
    or one with spaces or commas.
    """
    if isinstance(skills, (str, bytes)) or not isinstance(skills, Sequence):
        raise InvalidArgumentError("skills must be a list of tags")
    tags: list[str] = []
    for skill in skills:
        if not isinstance(skill, str):
            raise InvalidArgumentError("a skill must be a string")
        tag = skill.strip().lstrip("#").casefold()
        if not tag or visible_length(tag) > MAX_SKILL_LENGTH or any(ch.isspace() or ch == "," for ch in tag):
            raise InvalidArgumentError(f"a skill is one word of 1 to {MAX_SKILL_LENGTH} characters: {skill[:40]!r}")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_SKILLS:
        raise InvalidArgumentError(f"at most {MAX_SKILLS} skills")
    return tags


def skill_key(skill: str) -> str:
    """A skill as asked for, in the form tags are stored in."""
    return skill.strip().lstrip("#").casefold()


def within_window(record: PersonRecord, ts: int) -> bool:
    """Within hours at ``ts`` as the derived window says (exact between settling and the next due time)."""
    if not record.hours:
        return True
    return (record.open_from is not None and record.open_from <= ts
            and (record.open_until is None or ts < record.open_until))


def within_hours(record: PersonRecord, now: int) -> bool:
    """Within hours at ``now``, from the hours themselves."""
    return not record.hours or record.hours_zone is None or weekly.within(record.hours, record.hours_zone, now)


def under_capacity(record: PersonRecord) -> bool:
    return record.capacity is None or record.load < record.capacity


def decide(record: PersonRecord, status: Status, ts: int) -> bool:
    """Available at ``ts`` with this public status, by the derived fields alone (the Redis scripts agree).

    Only people who use availability are ever announced available: for everyone else "available"
    simply means online, which the status events already tell.
    """
    return (uses_availability(record) and status is Status.ONLINE and within_window(record, ts)
            and under_capacity(record))


def announce(record: PersonRecord, available: bool, at: int) -> AvailabilityChange | None:
    """Record what is announced; a change when it differs from the last announcement."""
    if available == record.available:
        return None
    record.available = available
    return AvailabilityChange(record.id, available, at)


def settle(record: PersonRecord, status: Status, now: int) -> AvailabilityChange | None:
    """Recompute the hours window at ``now`` and announce a real change of availability."""
    if record.hours and record.hours_zone:
        record.open_from, record.open_until = weekly.window(record.hours, record.hours_zone, now)
    else:
        record.open_from = record.open_until = None
    return announce(record, decide(record, status, now), now)


def next_due(record: PersonRecord, now: int) -> int | None:
    """When the hours next begin or end (the sweep must look again then)."""
    if not record.hours:
        return None
    if within_window(record, now):
        return record.open_until
    return record.open_from if record.open_from is not None and record.open_from > now else None


def apply_load(record: PersonRecord, change: LoadChange, now: int) -> str | None:
    """Change the load of a settled record; returns why it was refused (``"full"``, ``"unavailable"``) or None.

    The load never goes below 0; past the capacity only when forced; a pick needs the person
    available (as last settled) and stamps ``last_pick``.
    """
    if change.pick and not record.available:
        return "unavailable"
    if change.expected_load is not None and record.load != change.expected_load:
        return "changed"
    load = max(0, record.load + change.delta)
    if change.delta > 0 and record.capacity is not None and load > record.capacity and not change.force:
        return "full"
    if load > MAX_LOAD:
        return "full"
    record.load = load
    if change.pick:
        record.last_pick = now
    return None


def pick_order(user: AvailableUser) -> tuple[int, int, str]:
    """Least loaded first; ties to the one picked longest ago, never picked first; then by account."""
    return user.load, -1 if user.last_pick is None else user.last_pick, user.user_id


def as_available(account: str, record: PersonRecord) -> AvailableUser:
    return AvailableUser(account, record.names.get(account), record.load, record.capacity, tuple(record.skills),
                         record.last_pick)


def desk_view(people: Iterable[tuple[str, PersonRecord]], now: int) -> DeskView:
    """A desk from its people's whole records (account seen there, record), each person once: of those
    who use availability, the due ones whole, the others listed when announced available
    (``Store.desk_view``)."""
    available: list[AvailableUser] = []
    due: list[tuple[str, PersonRecord]] = []
    for account, record in people:
        if not uses_availability(record):
            continue
        if record.due is not None and record.due <= now:
            due.append((account, record))
        elif record.available:
            available.append(as_available(account, record))
    return DeskView(available, due)
