"""Splitting a command line into arguments and reading durations (SPEC section 3)."""

from __future__ import annotations

import re

from presence_core.policy import DAY_MS, HOUR_MS, MINUTE_MS

# Openers a keyboard types, and what closes each: straight, English curly, CJK corner brackets.
QUOTES: dict[str, str] = {'"': '"', "'": "'", "“": "”", "”": "”", "‘": "’", "「": "」", "『": "』", "«": "»", "„": "“"}
MAX_DURATION_MS = 365 * DAY_MS

_UNITS: dict[str, int] = {}
for _ms, _names in ((DAY_MS, ("d", "day", "days", "天")), (HOUR_MS, ("h", "hr", "hrs", "hour", "hours", "小时", "时")),
                    (MINUTE_MS, ("m", "min", "mins", "minute", "minutes", "分钟", "分")),
                    (1000, ("s", "sec", "secs", "second", "seconds", "秒"))):
    _UNITS.update(dict.fromkeys(_names, _ms))
_PART = re.compile(r"(\d{1,9})\s*(" + "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True)) + r")",
                   re.IGNORECASE)


class UnbalancedQuoteError(ValueError):
    def __init__(self, opener: str) -> None:
        super().__init__(f"quote {opener} is never closed")
        self.opener = opener


def split_args(text: str) -> list[str]:
    """Split on white space; a quote that opens an argument keeps spaces until its closer.

    A quote inside a word (``I'm``) is an ordinary character, so only real quoting is read.
    """
    args: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        closer = QUOTES.get(text[i])
        if closer is not None:
            end = text.find(closer, i + 1)
            if end < 0:
                raise UnbalancedQuoteError(text[i])
            args.append(text[i + 1:end])
            i = end + 1
            continue
        start = i
        while i < n and not text[i].isspace():
            i += 1
        args.append(text[start:i])
    return args


def quote_arg(arg: str) -> str:
    """The argument as the user would type it so that split_args gives it back."""
    if arg and not any(ch.isspace() for ch in arg) and arg[0] not in QUOTES:
        return arg
    for opener, closer in (('"', '"'), ("「", "」"), ("'", "'"), ("“", "”")):
        if closer not in arg:
            return f"{opener}{arg}{closer}"
    return f"「{arg.replace('」', '')}」"


def parse_duration(text: str) -> int | None:
    """``30m``, ``2h``, ``1h30m``, ``1d``, ``2 hours``, ``2小时`` -> milliseconds; None when not a duration."""
    compact = text.strip().lower()
    if not compact:
        return None
    total, pos = 0, 0
    for match in _PART.finditer(compact):
        if compact[pos:match.start()].strip():
            return None
        total += int(match.group(1)) * _UNITS[match.group(2).lower()]
        pos = match.end()
    if pos == 0 or compact[pos:].strip():
        return None
    return total
