"""Joining platform accounts into one person (SPEC section 6): codes and record merging."""

from __future__ import annotations

import hashlib
import secrets

from presence_core.availability import MAX_SKILLS
from presence_core.models import PRIVACY_NOBODY, PersonRecord
from presence_core.policy import MINUTE_MS

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand
CODE_LENGTH = 10  # 32**10 = 2**50 possibilities
CODE_TTL_MS = 10 * MINUTE_MS
ATTEMPT_WINDOW_MS = 10 * MINUTE_MS
ATTEMPTS_PER_WINDOW = 5


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def hash_code(code: str) -> str:
    """Codes are stored hashed: a leaked store gives no usable code."""
    normalized = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normalized.encode()).hexdigest()


def merge_records(into: PersonRecord, other: PersonRecord) -> None:
    """Fold ``other`` into ``into``: every device kept, the most recent choice of status wins."""
    for device_id, device in other.devices.items():
        mine = into.devices.get(device_id)
        if mine is None or (device.last_seen or 0) > (mine.last_seen or 0):
            into.devices[device_id] = device
    if (other.changed_at or 0) > (into.changed_at or 0):
        into.manual, into.manual_expires, into.manual_since = other.manual, other.manual_expires, other.manual_since
        into.custom, into.custom_expires = other.custom, other.custom_expires
        into.custom_shown, into.custom_shown_expires = other.custom_shown, other.custom_shown_expires
        into.changed_at = other.changed_at
    seen = [t for t in (into.last_seen, other.last_seen) if t is not None]
    into.last_seen = max(seen, default=None)
    into.names = {**other.names, **into.names}
    into.usernames = {**other.usernames, **into.usernames}
    into.tracking = into.tracking and other.tracking
    # The stricter choice wins: joining accounts never shows more than either chose to show.
    into.privacy = PRIVACY_NOBODY if PRIVACY_NOBODY in (into.privacy, other.privacy) else into.privacy
    into.linked = [a for a in [*into.linked, *other.accounts] if a != into.id]
    # Availability (SPEC section 12): one human, one load; the joining person's settings fill gaps.
    into.load += other.load
    into.capacity = into.capacity if into.capacity is not None else other.capacity
    into.skills = [*into.skills, *(s for s in other.skills if s not in into.skills)][:MAX_SKILLS]
    if not into.hours:
        into.hours, into.hours_zone = other.hours, other.hours_zone
    picks = [t for t in (into.last_pick, other.last_pick) if t is not None]
    into.last_pick = max(picks, default=None)


def split_record(record: PersonRecord, account_id: str) -> PersonRecord:
    """Take an account and its devices (``acct`` and ``acct/client``) out of ``record``.

    The custom status is cleared on both sides: it may have been written on either account, and
    separate people never keep each other's words.
    """
    record.linked.remove(account_id)
    record.custom = record.custom_expires = record.custom_shown = record.custom_shown_expires = None
    moved = {d: dev for d, dev in record.devices.items() if d == account_id or d.startswith(account_id + "/")}
    for device_id in moved:
        del record.devices[device_id]
    seen = [d.last_seen for d in moved.values() if d.last_seen is not None]
    names = {account_id: record.names.pop(account_id)} if account_id in record.names else {}
    usernames = {account_id: record.usernames.pop(account_id)} if account_id in record.usernames else {}
    return PersonRecord(account_id, devices=moved, last_seen=max(seen, default=None), tracking=record.tracking,
                        names=names, usernames=usernames, privacy=record.privacy)
