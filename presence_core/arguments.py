"""Checks of what callers pass to the Python API: each raises ``InvalidArgumentError`` naming the
argument, so a wrong type or value never surfaces later as a Python error from deep inside."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from presence_core.errors import InvalidArgumentError
from presence_core.models import Activity
from presence_core.text import cut, strip_invisible
from presence_core.views import device_name

ACTIVITY_KEYS = frozenset({"type", "channel_id", "timestamp", "device_id", "user_name", "username"})
_KEYWORD_KEYS = frozenset({"device_id", "user_name", "username"})  # also keyword arguments of record_activity
# 9999-12-31T23:59:59.999Z: a later time is a mistake (and past what a SQLite integer holds, 2**63).
MAX_EPOCH_MS = 253_402_300_799_999


def require_text(value: str, what: str) -> None:
    """Lone surrogates cannot be stored as UTF-8: refused the same way on every backend."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidArgumentError(f"{what} must be valid Unicode text") from None


def require_str(value: object, what: str) -> str:
    """A string (possibly empty)."""
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{what} must be a string")
    return value


def require_id(value: object, what: str) -> str:
    """An id: a non-empty string of valid Unicode."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(f"{what} must be a non-empty string")
    require_text(value, what)
    return value


def require_ids(values: object, what: str) -> list[str]:
    """Ids given as a list (any iterable but a string, which would be taken letter by letter)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidArgumentError(f"{what} must be a list of ids, not {type(values).__name__}")
    return [require_id(v, what) for v in values]


def require_bool(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgumentError(f"{what} must be True or False")
    return value


def require_epoch_ms(value: object, what: str) -> int:
    """Epoch milliseconds: an int (not a bool) from 1970 up to the year 10000, a range every store holds."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_EPOCH_MS:
        raise InvalidArgumentError(f"{what} must be epoch milliseconds (an int from 0 to {MAX_EPOCH_MS})")
    return value


def require_device(user_id: str, device_id: str | None) -> str:
    """The device ``device_id`` of account ``user_id`` (the account itself when None): the account, or
    one of its own under it (``discord:1/desktop``, ``telegram:42/api/laptop``). Another account is never
    a device of this one: that would make it part of this person without a link (SPEC section 6)."""
    if device_id is None:
        return user_id
    require_id(device_id, "device_id")
    if device_id != user_id and not (device_id.startswith(f"{user_id}/") and len(device_id) > len(user_id) + 1):
        raise InvalidArgumentError(f"device_id must be {user_id[:64]!r} or start with {user_id[:64] + '/'!r}")
    return device_id


@lru_cache(maxsize=16384)
def cleaned_name(name: str, limit: int) -> str | None:
    """A display name as stored: invisible characters gone, trimmed, at most ``limit`` long (None if nothing
    is left). Memoized: the same names come with every message of a person."""
    return cut(strip_invisible(name).strip(), limit) or None


@lru_cache(maxsize=16384)
def name_of_device(device_id: str, limit: int) -> str:
    """Names derived from ids are names too: held to the same length limit."""
    return cut(device_name(device_id), limit)

def activity_of(user_id: str, activity: Mapping[str, Any] | None, device_id: str | None, user_name: str | None,
                username: str | None, now: int, name_max_len: int) -> Activity:
    """The ``Activity`` a ``record_activity`` call means, arriving ``now`` (see its docstring for the keys).

    Raises ``InvalidArgumentError`` naming an unknown key, a key given both in ``activity`` and as a keyword
    argument, or a value of the wrong type.
    """
    require_id(user_id, "user_id")
    # Checked in this order whatever the input; written for speed: this runs for every message.
    kind, timestamp, channel_id = "message", None, None
    if activity is not None and activity.__class__ is not dict and not isinstance(activity, Mapping):
        raise InvalidArgumentError("activity must be a mapping such as {\"type\": \"message\"}")
    if activity:
        if not activity.keys() <= ACTIVITY_KEYS:
            unknown = sorted(map(str, activity.keys() - ACTIVITY_KEYS))
            raise InvalidArgumentError(f"unknown activity key(s) {', '.join(map(repr, unknown))}: expected "
                                       f"{', '.join(sorted(ACTIVITY_KEYS))}")
        if not activity.keys().isdisjoint(_KEYWORD_KEYS):
            keywords = {"device_id": device_id, "user_name": user_name, "username": username}
            for key, value in keywords.items():
                if key in activity and value is not None:
                    raise InvalidArgumentError(f"{key} given both in the activity and as a keyword argument")
            device_id = activity.get("device_id", device_id)
            user_name = activity.get("user_name", user_name)
            username = activity.get("username", username)
        kind = activity.get("type", "message")
        timestamp = activity.get("timestamp")
        channel_id = activity.get("channel_id")
    for key, value in (("device_id", device_id), ("user_name", user_name), ("username", username)):
        if value is not None and value.__class__ is not str and not isinstance(value, str):
            raise InvalidArgumentError(f"{key} must be a string")
    if kind.__class__ is not str and not isinstance(kind, str) or not kind:
        raise InvalidArgumentError("activity type must be a non-empty string")
    if timestamp is not None and (timestamp.__class__ is not int and (not isinstance(timestamp, int)
                                                                      or isinstance(timestamp, bool))
                                  or not 0 <= timestamp <= MAX_EPOCH_MS):
        raise InvalidArgumentError("activity timestamp must be epoch milliseconds (a non-negative int "
                                   "before the year 10000)")
    if channel_id is not None:
        require_id(channel_id, "channel_id")
    device = require_device(user_id, device_id or None)
    require_text(kind, "activity type")
    return Activity(
        user_id=user_id, device_id=device, device_name=name_of_device(device, name_max_len),
        type=kind, timestamp=now if timestamp is None else timestamp,
        channel_id=channel_id, user_name=cleaned_name(user_name, name_max_len) if user_name else None,
        username=cleaned_name(username.removeprefix("@"), name_max_len) if username else None,
        arrived=now,
    )
