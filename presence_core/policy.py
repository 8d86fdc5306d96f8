"""Timers and limits that decide how presence behaves; one frozen value shared by service and stores."""

from __future__ import annotations

from dataclasses import dataclass

from presence_core.errors import InvalidArgumentError

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
# The furthest ahead a status or custom status may end: a year is the longest anyone plans.
MAX_EXPIRY_MS = 365 * DAY_MS
# Tries of a compare-and-set (load, change, save if unchanged) before ``ConcurrentUpdateError``.
CAS_ATTEMPTS = 16
# The longest any timer of a Policy may be: longer is a typo, not a plan.
MAX_TIMER_MS = 3650 * DAY_MS


@dataclass(frozen=True, slots=True)
class Policy:
    heartbeat_interval_ms: int = 30_000
    away_after_ms: int = 5 * MINUTE_MS
    offline_after_ms: int = HOUR_MS
    activity_max_count: int = 500
    activity_max_age_ms: int = 7 * DAY_MS
    # A device unseen this long is flagged stale by sync and left out of "synced/total".
    stale_after_ms: int = DAY_MS
    # A device unseen this long is removed by the sweep.
    prune_after_ms: int = 30 * DAY_MS
    # A membership of a channel lasts until the person leaves it, or until they are unseen there this long.
    membership_ttl_ms: int = 30 * DAY_MS
    # Recorded activities kept while the store is unavailable; beyond it the oldest are dropped.
    outage_buffer_max: int = 10_000
    custom_status_max_len: int = 128
    name_max_len: int = 64
    # A device that misses its heartbeat stays in its rooms this much longer, so a client that
    # drops and reconnects causes no leave/join flap (SPEC section 11).
    room_grace_ms: int = 15_000

    def __post_init__(self) -> None:
        for name in ("heartbeat_interval_ms", "away_after_ms", "offline_after_ms", "activity_max_count",
                     "activity_max_age_ms", "stale_after_ms", "prune_after_ms", "membership_ttl_ms",
                     "outage_buffer_max", "room_grace_ms"):
            if getattr(self, name) <= 0:
                raise InvalidArgumentError(f"{name} must be positive")
            if name.endswith("_ms") and getattr(self, name) > MAX_TIMER_MS:
                raise InvalidArgumentError(f"{name} must be at most {MAX_TIMER_MS} (ten years)")
        if self.offline_after_ms <= self.away_after_ms:
            raise InvalidArgumentError("offline_after_ms must be greater than away_after_ms")
        if self.prune_after_ms < self.stale_after_ms:
            raise InvalidArgumentError("prune_after_ms must be at least stale_after_ms")
        if self.membership_ttl_ms < self.offline_after_ms:
            raise InvalidArgumentError("membership_ttl_ms must be at least offline_after_ms")

    @property
    def channel_window_ms(self) -> int:
        """People unseen in a channel for longer are offline there, so "who" never looks further back."""
        return self.offline_after_ms

    @property
    def room_lease_ms(self) -> int:
        """A device stays in its rooms this long after it was last seen: one missed heartbeat plus the grace."""
        return self.heartbeat_interval_ms + self.room_grace_ms
