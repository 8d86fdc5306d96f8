"""A clock the tests move by hand, so no test ever sleeps for a presence timer."""

from __future__ import annotations

from presence_core.policy import DAY_MS, HOUR_MS, MINUTE_MS

START_MS = 1_790_000_000_000  # 2026-09-21, an arbitrary fixed "now"


class FakeClock:
    def __init__(self, now: int = START_MS) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int = 0, *, minutes: float = 0, hours: float = 0, days: float = 0) -> int:
        self.now += ms + int(minutes * MINUTE_MS + hours * HOUR_MS + days * DAY_MS)
        return self.now
