"""Working hours as people type them, and back: ``mon-fri 9-18 Europe/Berlin``, ``周一至周五 9:00-18:00 Asia/Shanghai``.

Groups of days then time ranges, repeated (``mon-fri 9-12 13:30-18 sat 10-14``); a time zone
anywhere (an IANA name in any case, or a city: ``berlin``). Days: English and Chinese names from
the locale files (``words.day_mon`` …), ranges with ``-``, ``–``, ``~``, ``至``, ``到``, lists with
commas (``,``, ``，``, ``、``), ``weekdays``, ``daily``. Times: ``9``, ``09:00``, ``9.30``, ``9点``,
``24:00`` as an end; a range that ends before it starts runs overnight. The result is Telegram
Business intervals (``presence_core.hours``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from presence_bot import i18n
from presence_bot.parsing import read_count
from presence_core import hours as weekly

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = r"\s*(?:-|–|—|~|～|至|到|to)\s*"
# Digits of any width, or Chinese numerals (``九点``, ``十八点``).
_NUMERAL = "[\\d〇零一二两兩三四五六七八九十]"
_TIME = rf"({_NUMERAL}{{1,3}})(?:[:：.]({_NUMERAL}{{2,3}}))?\s*(?:点|點|時|时|h)?"


class HoursTextError(ValueError):
    """Not working hours; ``key`` names the locale text that says why, ``values`` fill it."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True, slots=True)
class ParsedHours:
    intervals: list[list[int]]
    zone: str | None


@cache
def _day_words() -> dict[str, list[int]]:
    """Every word for a day or a set of days, lower-cased, in every locale."""
    found: dict[str, list[int]] = {}
    for locale in i18n.LOCALES:
        strings = i18n.strings(locale)
        for index, day in enumerate(DAYS):
            for word in strings.get(f"words.day_{day}", "").split("|"):
                if word.strip():
                    found[word.strip().lower()] = [index]
        for name, days in (("weekdays", list(range(5))), ("weekend", [5, 6]), ("daily", list(range(7)))):
            for word in strings.get(f"words.{name}", "").split("|"):
                if word.strip():
                    found[word.strip().lower()] = days
    return found


@cache
def _day_pattern() -> re.Pattern[str]:
    words = sorted(_day_words(), key=len, reverse=True)
    day = "(?:" + "|".join(map(re.escape, words)) + ")"
    # Whole words only: "mondey" is no Monday followed by "dey".
    return re.compile(rf"(?<![A-Za-z])(?P<days>{day}(?:{_RANGE}{day})?(?:\s*[,，、]\s*{day}(?:{_RANGE}{day})?)*)"
                      rf"(?![A-Za-z])"
                      rf"|(?P<time>{_TIME}{_RANGE}{_TIME})|(?P<sep>[,，、;；]+)", re.IGNORECASE)


def _expand_days(text: str) -> list[int]:
    words = _day_words()
    days: list[int] = []
    for part in re.split(r"\s*[,，、]\s*", text.strip()):
        ends = [w for w in re.split(_RANGE, part, flags=re.IGNORECASE) if w]
        if len(ends) == 2:
            first, last = words[ends[0].lower()][0], words[ends[1].lower()][-1]
            days += [(first + i) % 7 for i in range((last - first) % 7 + 1)]
        else:
            days += words[part.lower()]
    return sorted(set(days))


def _minute(hour: str, minute: str | None, text: str, *, end: bool) -> int:
    h, m = read_count(hour), read_count(minute or "0")
    if h is None or m is None or m > 59 or h > 24 or (h == 24 and (m or not end)):
        raise HoursTextError("hours.bad_time", text=text)
    return h * 60 + m


@cache
def _zone_words() -> dict[str, str]:
    """City names people type for a zone (``上海``), from the locale files' ``[time_zones]``."""
    return {key.removeprefix("time_zones."): value for locale in i18n.LOCALES
            for key, value in i18n.strings(locale).items() if key.startswith("time_zones.")}


def zone_for(word: str) -> str | None:
    """An IANA zone for what someone typed (any case; a city alone, ``berlin``, ``上海``); None if none fits."""
    names = weekly.zone_names()
    lowered = word.strip().lower()
    if word.strip() in _zone_words():
        return _zone_words()[word.strip()]
    exact = [n for n in names if n.lower() == lowered]
    if exact:
        return exact[0]
    city = [n for n in names if n.rsplit("/", 1)[-1].lower() == lowered.replace(" ", "_")]
    return city[0] if len(city) == 1 else None


# How alike a misspelling and a name must be (difflib's ratio) for "did you mean": "berln" and
# "berlin" are (0.91), "funday" and "luanda" are not (0.67).
CLOSE = 0.8


def suggest_zone(word: str) -> str | None:
    """The zone name closest to a misspelled one, for "did you mean"; None when none is close."""
    names = weekly.zone_names()
    lowered = {n.lower(): n for n in names}
    cities = {n.rsplit("/", 1)[-1].lower(): n for n in names}
    w = word.strip().lower()
    for pool, typed in ((lowered, w), (cities, w), (cities, w.rsplit("/", 1)[-1])):
        match = difflib.get_close_matches(typed, list(pool), n=1, cutoff=CLOSE)
        if match:
            return pool[match[0]]
    return None


def suggest_day(word: str) -> str | None:
    """The day word closest to a misspelled one (``funday`` -> ``sunday``); None when none is close."""
    match = difflib.get_close_matches(word.strip("-–—~～,，、 ").lower(), list(_day_words()), n=1, cutoff=CLOSE)
    return match[0] if match else None


def _looks_like_zone(word: str) -> bool:
    return ("/" in word or word.upper() in ("UTC", "GMT") or word in _zone_words()
            or bool(re.fullmatch(r"[A-Za-z_]{3,}", word)))


def parse(args: Sequence[str]) -> ParsedHours:
    """Intervals and zone from the words of the command; raises ``HoursTextError``."""
    text = " ".join(args).strip()
    if not text:
        raise HoursTextError("hours.missing")
    zone: str | None = None
    spans: list[tuple[list[int], tuple[int, int]]] = []
    days: list[int] | None = None
    days_text = ""
    pos = 0
    for match in _day_pattern().finditer(text):
        # A word right before times that have no days yet stands where a day belongs.
        zone = _between(text[pos:match.start()], zone, day_next=bool(match.group("time")) and days is None)
        pos = match.end()
        if match.group("days"):
            days, days_text = _expand_days(match.group("days")), match.group("days")
        elif match.group("time"):
            if days is None:
                raise HoursTextError("hours.missing_days", text=match.group("time"))
            h1, m1, h2, m2 = re.fullmatch(_TIME + _RANGE + _TIME, match.group("time"), re.IGNORECASE).groups()
            start = _minute(h1, m1, match.group("time"), end=False)
            end = _minute(h2, m2, match.group("time"), end=True)
            if start == end:
                raise HoursTextError("hours.empty_range", text=match.group("time"))
            spans += [(days, (start, end))]
    zone = _between(text[pos:], zone, day_next=False)
    if not spans:
        if days is not None:
            raise HoursTextError("hours.missing_times", text=days_text)
        raise HoursTextError("hours.missing")
    intervals = [[d * weekly.DAY_MINUTES + start, d * weekly.DAY_MINUTES + (end if end > start else end + weekly.DAY_MINUTES)]
                 for ds, (start, end) in spans for d in ds]
    if len(intervals) > weekly.MAX_INTERVALS:
        raise HoursTextError("hours.too_many", count=len(intervals), max=weekly.MAX_INTERVALS)
    return ParsedHours(weekly.normalize(intervals), zone)


def _between(gap: str, zone: str | None, *, day_next: bool) -> str | None:
    """Text between days and times: nothing, or the time zone (once). A word that is no zone gets the
    error of what it most likely is: a misspelled day (close to one, or where a day belongs), else a
    zone, with a suggestion only when one is close."""
    words = gap.split()
    for index, word in enumerate(words):
        found = zone_for(word) if zone is None else None
        if found is not None:
            zone = found
            continue
        day = suggest_day(word)
        if day is not None:
            raise HoursTextError("hours.unknown_day_suggest", text=word, suggestion=day)
        if day_next and index == len(words) - 1:
            raise HoursTextError("hours.unknown_day", text=word)
        if zone is not None or not _looks_like_zone(word):
            raise HoursTextError("hours.unexpected", text=word)
        suggestion = suggest_zone(word)
        if suggestion is None:
            raise HoursTextError("hours.unknown_zone_plain", zone=word)
        raise HoursTextError("hours.unknown_zone", zone=word, suggestion=suggestion)
    return zone


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def describe(locale: str, intervals: Sequence[Sequence[int]]) -> str:
    """Hours as a reader expects them, days with the same times grouped: ``Mon–Fri 09:00–18:00``.

    Intervals are shown day by day (one that runs past midnight ends at 24:00 and goes on the next day).
    """
    per_day: dict[int, list[tuple[int, int]]] = {}
    for start, end in intervals:
        while start < end:
            day, base = start // weekly.DAY_MINUTES, start // weekly.DAY_MINUTES * weekly.DAY_MINUTES
            stop = min(end, base + weekly.DAY_MINUTES)
            per_day.setdefault(day % 7, []).append((start - base, stop - base))
            start = stop
    by_times: dict[tuple[tuple[int, int], ...], list[int]] = {}
    for day, times in sorted(per_day.items()):
        by_times.setdefault(tuple(times), []).append(day)
    names = [i18n.text(locale, f"hours.day_{d}") for d in DAYS]
    return "; ".join(f"{_day_runs(days, names)} {', '.join(f'{_clock(s)}–{_clock(e)}' for s, e in times)}"
                     for times, days in by_times.items())


def _day_runs(days: list[int], names: list[str]) -> str:
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(names[r[0]] if len(r) == 1 else f"{names[r[0]]}–{names[r[-1]]}" for r in runs)
