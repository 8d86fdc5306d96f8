"""Splitting a command line into arguments and reading durations as people type them (SPEC section 3)."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from presence_core.policy import DAY_MS, HOUR_MS, MAX_EXPIRY_MS, MINUTE_MS

# Openers a keyboard types, and what closes each: straight, English curly, CJK corner brackets.
QUOTES: dict[str, str] = {'"': '"', "'": "'", "“": "”", "”": "”", "‘": "’", "「": "」", "『": "』", "«": "»", "„": "“"}
# Durations a status or custom status may last, and how far back ``activity since`` may look:
# under a minute is over before the next sweep notices it; a year is the longest anyone plans.
MIN_DURATION_MS = MINUTE_MS
MAX_DURATION_MS = MAX_EXPIRY_MS
WEEK_MS = 7 * DAY_MS

_UNITS: dict[str, int] = {}
for _ms, _names in (
    (WEEK_MS, ("w", "wk", "wks", "week", "weeks", "周", "週", "星期", "礼拜", "禮拜")),
    (DAY_MS, ("d", "day", "days", "天", "日")),
    (HOUR_MS, ("h", "hr", "hrs", "hour", "hours", "小时", "小時", "时", "時", "钟头", "鐘頭", "钟", "鐘")),
    (15 * MINUTE_MS, ("刻钟", "刻鐘", "刻")),
    (MINUTE_MS, ("m", "min", "mins", "minute", "minutes", "分钟", "分鐘", "分")),
    (1000, ("s", "sec", "secs", "second", "seconds", "秒钟", "秒鐘", "秒")),
):
    _UNITS.update(dict.fromkeys(_names, _ms))
_UNIT = "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True))
# One part of a duration: ``30m``, ``1.5h``, ``2 hours``, ``2个小时``, ``1个半小时``, ``半小时``, ``2小时半``.
_PART = re.compile(rf"(?:(?P<number>\d{{1,9}}(?:\.\d{{1,6}})?)\s*[个個]?\s*(?P<half>半)?|(?P<only_half>半))"
                   rf"\s*[个個]?\s*(?P<unit>{_UNIT})(?P<trailing_half>半)?\s*", re.IGNORECASE)
# A bare number after hours is minutes, after minutes seconds: 1h30, 1小时30, 5m30.
_NEXT_UNIT = {HOUR_MS: MINUTE_MS, MINUTE_MS: 1000}
# Chinese numerals (一 … 九千九百九十九, 两, 〇/零) and the decimal point 点 between digits.
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_CN_POWERS = {"十": 10, "百": 100, "千": 1000}
_CN_NUMBER = re.compile(f"[{''.join(_CN_DIGITS)}{''.join(_CN_POWERS)}]+")
_CN_POINT = re.compile(r"(?<=\d)[点點](?=\d)")


class UnbalancedQuoteError(ValueError):
    def __init__(self, opener: str) -> None:
        super().__init__(f"quote {opener} is never closed")
        self.opener = opener


class Quoted(str):
    """An argument the person put in quotes: their own text, never read as a keyword."""

    __slots__ = ()


def fold(word: str) -> str:
    """A word as compared with keywords: full-width forms made plain (NFKC), case folded."""
    return unicodedata.normalize("NFKC", word).casefold()


def split_args(text: str) -> list[str]:
    """Split on white space (any, the ideographic space too); a quote that opens an argument keeps
    spaces until its closer and gives a :class:`Quoted` argument.

    A quote closes only where a quoted word can end: right before white space or the end of the
    line. So an apostrophe (``'Mom's birthday'``, ``I'm``) and a quote inside the text
    (``"say "hi" now"``, quotes typed in pairs nest) stay part of it. An opening quote whose closer
    never ends a word is no quote: the word is kept as typed. Raises UnbalancedQuoteError when the
    closer does not occur at all, so nothing typed is silently dropped or moved.
    """
    args: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        closer = QUOTES.get(text[i])
        if closer is not None:
            end = _closing_quote(text, i, closer)
            if end is not None:
                args.append(Quoted(text[i + 1:end]))
                i = end + 1
                continue
            if closer not in text[i + 1:]:
                raise UnbalancedQuoteError(text[i])
        start = i
        while i < n and not text[i].isspace():
            i += 1
        args.append(text[start:i])
    return args


def _closing_quote(text: str, start: int, closer: str) -> int | None:
    """Where the quoted argument opened at ``start`` ends: the closer matching it, counting quotes
    that open after a space as nested (``"a "b" c"``); else the first closer that ends a word
    (``"he said "hi""``); None when no closer ends a word."""
    opener = text[start]
    n = len(text)
    ends = [j for j in range(start + 1, n) if text[j] == closer and (j + 1 == n or text[j + 1].isspace())]
    depth, closing = 1, set(ends)
    for j in range(start + 1, n):
        if j in closing:
            depth -= 1
            if depth == 0:
                return j
        elif text[j] == opener and text[j - 1].isspace():
            depth += 1
    return ends[0] if ends else None


def quote_arg(arg: str) -> str:
    """The argument as the user would type it so that split_args gives it back."""
    if arg and not any(ch.isspace() for ch in arg) and arg[0] not in QUOTES:
        return arg
    for opener, closer in (('"', '"'), ("「", "」"), ("'", "'"), ("“", "”")):
        if closer not in arg:
            return f"{opener}{arg}{closer}"
    return f"「{arg.replace('」', '')}」"


def _chinese_number(numeral: str) -> int:
    """``十五`` -> 15, ``两`` -> 2, ``一百二十`` -> 120, ``零五`` -> 5 (numbers below ten thousand)."""
    total, digit = 0, 0
    for ch in numeral:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        else:
            total += (digit or 1) * _CN_POWERS[ch]
            digit = 0
    return total + digit


def _plain_numbers(text: str) -> str:
    text = _CN_NUMBER.sub(lambda m: str(_chinese_number(m.group())), text)
    return _CN_POINT.sub(".", text)


def read_count(word: str) -> int | None:
    """A whole number as people type it: ``12``, full-width ``１２``, Chinese ``十二``, ``五``, ``两``;
    None for anything else (signs, fractions, words). Range checks are the caller's."""
    plain = _plain_numbers(unicodedata.normalize("NFKC", word).strip())
    if not plain.isdecimal() or len(plain) > 9:
        return None
    return int(plain)


def parse_duration(text: str) -> int | None:
    """A duration as people type it -> milliseconds; None when ``text`` is not one.

    ``30m``, ``2h``, ``1h30m``, ``1h 30m``, ``1.5h``, ``90s``, ``1d``, ``1w``, ``2 hours``;
    ``30分钟``, ``2小时``, ``两小时``, ``半小时``, ``一个半小时``, ``一刻钟``, ``1小时零5分``,
    ``2個小時``; ``1h30`` and ``1小时30`` (minutes after hours); full-width digits and letters
    (``３０ｍ``) read as their plain forms. Each unit at most once (``1h1h`` is no duration). Any size
    is read; whether it is allowed is the caller's range check.
    """
    compact = _plain_numbers(unicodedata.normalize("NFKC", text).strip().lower())
    if not compact:
        return None
    total, pos, unit, seen = Decimal(0), 0, 0, set()
    for match in _PART.finditer(compact):
        if compact[pos:match.start()].strip():
            return None
        number = Decimal(match["number"] or 0) + Decimal("0.5") * bool(match["half"] or match["only_half"])
        if match["trailing_half"]:
            number += Decimal("0.5")
        unit = _UNITS[match["unit"].lower()]
        if unit in seen:  # "1h1h", "2h 3 hours": a slip, not a sum anyone means
            return None
        seen.add(unit)
        total += number * unit
        pos = match.end()
    rest = compact[pos:].strip()
    if pos and rest.isdecimal() and len(rest) <= 2 and unit in _NEXT_UNIT and _NEXT_UNIT[unit] not in seen:
        return int(total) + int(rest) * _NEXT_UNIT[unit]  # 1h30, 1小时30: the next unit down
    if pos == 0 or rest:
        return None
    return int(total.to_integral_value())
