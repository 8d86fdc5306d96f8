"""Weekly working hours in an IANA time zone: validation, "within hours at t", and when that changes.

Shape (taken from Telegram Business opening hours, ``BusinessOpeningHoursInterval``): intervals
``[opening minute, closing minute]`` counted from Monday 00:00 local time, at most 28; an interval
may run past the end of the week (Sunday 22:00 to Monday 06:00 is ``[9960, 10440]``). Stored in a
canonical form: sorted, merged, each within ``[0, WEEK]`` (one that crosses the week's end is split),
so equal hours always compare equal. Times are epoch milliseconds; zones come from ``zoneinfo``
(with the ``tzdata`` package where the system has no zone data).

Daylight saving: a boundary is the first instant at which the local clock reads its minute or
later, so hours never lose or gain a day when clocks change; a boundary in a skipped hour takes
effect when the clock jumps over it.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from functools import cache

from presence_core.errors import InvalidArgumentError

DAY_MINUTES = 24 * 60
WEEK = 7 * DAY_MINUTES
MAX_INTERVALS = 28
_MINUTE_MS = 60_000

Intervals = list[list[int]]


# Files of a system's zone directory that name no place: the host's own zone (``localtime``), the
# tz database's "zone not set" (``Factory``, always "-00"), a default rule file (``posixrules``), and the
# ``posix/`` and ``right/`` (leap second) copies of the real zones.
_NOT_PLACES = frozenset({"localtime", "Factory", "posixrules"})
_NOT_PLACE_PREFIXES = ("posix/", "right/")


def zone(name: str) -> zoneinfo.ZoneInfo:
    """The time zone called ``name`` exactly as ``zone_names`` lists it (IANA, e.g. ``Europe/Berlin``);
    raises ``UnknownTimeZoneError`` for anything else. What new hours are checked with."""
    if not isinstance(name, str) or name not in _zone_set():
        raise UnknownTimeZoneError(str(name))
    return _load(name)


@cache
def _load(name: str) -> zoneinfo.ZoneInfo:
    """A zone's rules; also for a zone stored before ``zone`` refused names that are no place
    (``localtime``), so hours saved then keep working."""
    if not isinstance(name, str) or not name or name != name.strip() or ".." in name or name.startswith("/"):
        raise UnknownTimeZoneError(str(name))
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise UnknownTimeZoneError(name) from None


@cache
def zone_names() -> tuple[str, ...]:
    """Every IANA zone name known here that names a place (or UTC and its kin), sorted (for
    suggestions and autocomplete)."""
    return tuple(sorted(name for name in zoneinfo.available_timezones()
                        if name not in _NOT_PLACES and not name.startswith(_NOT_PLACE_PREFIXES)))


@cache
def _zone_set() -> frozenset[str]:
    return frozenset(zone_names())


class UnknownTimeZoneError(InvalidArgumentError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown time zone {name[:64]!r}: expected an IANA name such as Europe/Berlin")
        self.name = name


def normalize(intervals: Sequence[Sequence[int]]) -> Intervals:
    """The canonical form of Telegram-style intervals; raises ``InvalidArgumentError`` when malformed.

    Each interval is two ints with ``0 <= opening < WEEK`` and ``opening < closing <= opening + WEEK``;
    at most ``MAX_INTERVALS``; overlapping or touching intervals merge.
    """
    if isinstance(intervals, (str, bytes)) or not isinstance(intervals, Sequence):
        raise InvalidArgumentError("working hours must be a list of [opening, closing] minute pairs")
    if len(intervals) > MAX_INTERVALS:
        raise InvalidArgumentError(f"at most {MAX_INTERVALS} intervals of working hours")
    pieces: list[tuple[int, int]] = []
    for interval in intervals:
        if (len(interval) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in interval)):
            raise InvalidArgumentError("an interval of working hours is [opening minute, closing minute]")
        start, end = interval
        if not 0 <= start < WEEK or not start < end <= start + WEEK:
            raise InvalidArgumentError(f"bad interval of working hours [{start}, {end}]: minutes of the week "
                                       f"from Monday 00:00, opening before closing, at most a week long")
        if end <= WEEK:
            pieces.append((start, end))
        else:
            pieces += [(start, WEEK), (0, end - WEEK)]
    merged: Intervals = []
    for start, end in sorted(pieces):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def _minute_of_week(moment: datetime) -> int:
    return moment.weekday() * DAY_MINUTES + moment.hour * 60 + moment.minute


def within(intervals: Intervals, zone_name: str, t: int) -> bool:
    """Whether epoch ms ``t`` falls within the (canonical) hours, read on the zone's wall clock."""
    minute = _minute_of_week(datetime.fromtimestamp(t / 1000, _load(zone_name)))
    return any(start <= minute < end for start, end in intervals)


def _always(intervals: Intervals) -> bool:
    return intervals == [[0, WEEK]]


def _candidates(intervals: Intervals, zone_name: str, t: int) -> Iterator[int]:
    """Instants (epoch ms) at which the wall clock reaches a boundary, in the weeks around ``t``."""
    tz = _load(zone_name)
    local = datetime.fromtimestamp(t / 1000, tz).replace(tzinfo=None)
    week0 = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    boundaries = sorted({m for interval in intervals for m in interval})
    for week in (-1, 0, 1):
        for minute in boundaries:
            wall = week0 + timedelta(weeks=week, minutes=minute)
            first, second = (round(wall.replace(tzinfo=tz, fold=fold).timestamp() * 1000) for fold in (0, 1))
            yield first
            if first != second:  # a wall time skipped or repeated: the clock change itself counts too
                yield second
                yield _clock_change(tz, min(first, second), max(first, second))


def _offset(tz: zoneinfo.ZoneInfo, t: int) -> timedelta | None:
    return datetime.fromtimestamp(t / 1000, tz).utcoffset()


def _clock_change(tz: zoneinfo.ZoneInfo, before: int, after: int) -> int:
    """The instant between two with different UTC offsets at which the offset changes."""
    offset = _offset(tz, before)
    while after - before > 1:
        middle = (before + after) // 2
        if _offset(tz, middle) == offset:
            before = middle
        else:
            after = middle
    return after


def _edge(intervals: Intervals, zone_name: str, inside: int, outside: int) -> int:
    """Between an instant with the state of ``inside`` and one without it: the first instant after
    the change (a change within a clock jump is found by bisection to the millisecond)."""
    state = within(intervals, zone_name, inside)
    while abs(outside - inside) > 1:
        middle = (inside + outside) // 2
        if within(intervals, zone_name, middle) == state:
            inside = middle
        else:
            outside = middle
    return max(inside, outside)


def next_change(intervals: Intervals, zone_name: str, t: int) -> int | None:
    """The first instant after ``t`` at which ``within`` differs from its value at ``t``; None if never."""
    if not intervals or _always(intervals):
        return None
    state, previous = within(intervals, zone_name, t), t
    for candidate in sorted({c for c in _candidates(intervals, zone_name, t) if c > t}):
        if within(intervals, zone_name, candidate) != state:
            return _edge(intervals, zone_name, previous, candidate)
        previous = candidate
    return None


def last_change(intervals: Intervals, zone_name: str, t: int) -> int | None:
    """The instant, at or before ``t``, from which ``within`` has had its value at ``t``; None if always."""
    if not intervals or _always(intervals):
        return None
    state, following = within(intervals, zone_name, t), t
    for candidate in sorted({c for c in _candidates(intervals, zone_name, t) if c <= t}, reverse=True):
        if within(intervals, zone_name, candidate - 1) != state:
            return _edge(intervals, zone_name, following, candidate - 1)
        following = candidate - 1
    return None


def window(intervals: Intervals, zone_name: str, t: int) -> tuple[int | None, int | None]:
    """The open period holding ``t``, or the next one: ``(opens, closes)`` in epoch ms.

    ``closes`` None: open from ``opens`` on (hours covering the whole week, ``opens`` 0). A caller
    that knows only this window judges an instant in it as within hours, any other as outside.
    """
    if _always(intervals):
        return 0, None
    if within(intervals, zone_name, t):
        return last_change(intervals, zone_name, t), next_change(intervals, zone_name, t)
    opens = next_change(intervals, zone_name, t)
    return opens, None if opens is None else next_change(intervals, zone_name, opens)
