"""Durations and moments in words, in the reader's language."""

from __future__ import annotations

from presence_bot import i18n
from presence_core.policy import DAY_MS, HOUR_MS, MINUTE_MS

_PARTS = (("d", DAY_MS), ("h", HOUR_MS), ("m", MINUTE_MS), ("s", 1000))


def duration(locale: str, ms: int) -> str:
    """The two largest units: ``1d 2h``, ``5m``, ``30s``."""
    ms = max(ms, 1000)
    parts: list[str] = []
    for unit, size in _PARTS:
        if ms >= size and len(parts) < 2:
            parts.append(i18n.text(locale, f"unit.{unit}", n=ms // size))
            ms %= size
        elif parts:
            break
    return i18n.text(locale, "unit.join").join(parts)


def ago(locale: str, moment: int | None, now: int) -> str:
    if moment is None:
        return i18n.text(locale, "time.never")
    if now - moment < MINUTE_MS:
        return i18n.text(locale, "time.just_now")
    return i18n.text(locale, "time.ago", duration=duration(locale, now - moment))


def until(locale: str, moment: int, now: int) -> str:
    """``in 30m``: rounded up to a whole minute from a minute on, so a 30m status set just now shows 30m."""
    left = moment - now
    if left >= MINUTE_MS:
        left = -(-left // MINUTE_MS) * MINUTE_MS
    return i18n.text(locale, "time.in", duration=duration(locale, left))


def coarse_ago(locale: str, moment: int | None, now: int) -> str:
    """What others see of someone's last seen: a bucket, never the minute."""
    if moment is None:
        return i18n.text(locale, "time.never")
    age = now - moment
    for limit, key in ((5 * MINUTE_MS, "just_now"), (HOUR_MS, "within_hour"), (DAY_MS, "today"),
                       (7 * DAY_MS, "this_week")):
        if age < limit:
            return i18n.text(locale, f"time.{key}")
    return i18n.text(locale, "time.long_ago")
