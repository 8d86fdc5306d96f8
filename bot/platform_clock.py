"""A platform's timestamps on the service's clock, whatever the skew between the two (SPEC section 4).

A platform stamps each event with its own clock (Telegram's ``date``, the time in a Discord
snowflake); the presence timers run on the service's clock, and the two may differ by minutes.
Each event that arrives is a sample: its delay, arrival on the service clock minus the platform's
stamp, is the offset between the clocks plus however long the event travelled or waited in a
queue. So the smallest delay seen recently is the best estimate of the offset (the idea of NTP's
minimum-delay filter, RFC 5905 section 10). An event is placed at its stamp plus that offset,
never later than now: a message that has just arrived counts as now, while one that waited
(a backlog replayed after downtime) keeps its real age. A delay beyond ``max_skew_ms`` either way
is lateness or a broken clock, never skew, and is not used.

Adapters feed every timestamp they have, and anything else the platform stamps as it answers
(the ``Date`` of its HTTP responses, the date of a message the bot just sent): those can never
be late, so they keep the estimate right even when the first events after a start are a backlog.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from presence_core.policy import MINUTE_MS

MAX_SKEW_MS = 15 * MINUTE_MS
BUCKET_MS = MINUTE_MS
BUCKETS = 5


class PlatformClock:
    """One platform's clock as seen from the service's ``now`` (a callable returning epoch ms)."""

    def __init__(self, now: Callable[[], int], *, max_skew_ms: int = MAX_SKEW_MS, bucket_ms: int = BUCKET_MS,
                 buckets: int = BUCKETS) -> None:
        self._now = now
        self._max_skew_ms = max_skew_ms
        self._bucket_ms = bucket_ms
        # The smallest delay of each of the most recent minutes that had samples: a quiet chat keeps
        # its estimate, and a clock that was stepped is followed within ``buckets`` busy minutes.
        self._minima: deque[tuple[int, int]] = deque(maxlen=buckets)

    @property
    def offset_ms(self) -> int:
        """Service clock minus platform clock (positive: the service's clock is ahead); 0 before any sample."""
        return min((delay for _, delay in self._minima), default=0)

    def sample(self, platform_ms: int) -> None:
        """Something the platform stamped ``platform_ms`` (epoch ms on its clock) has just arrived."""
        now = self._now()
        delay = now - platform_ms
        if abs(delay) > self._max_skew_ms:
            return
        bucket = now // self._bucket_ms
        if self._minima and self._minima[-1][0] == bucket:
            if delay < self._minima[-1][1]:
                self._minima[-1] = (bucket, delay)
        else:
            self._minima.append((bucket, delay))

    def local(self, platform_ms: int) -> int:
        """The service-clock time of an event the platform stamped ``platform_ms`` and that arrives now."""
        self.sample(platform_ms)
        return min(platform_ms + self.offset_ms, self._now())
