"""Checks of what callers pass to the Python API: each raises ``InvalidArgumentError`` naming the
argument, so a wrong type or value never surfaces later as a Python error from deep inside."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from presence_core.errors import InvalidArgumentError
from presence_core.text import cut, strip_invisible
from presence_core.views import device_name

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
