"""Whether Redis answers, told to the operator once per change: one line when it stops answering (with
the reason), one when it answers again (after how long) — never a line per failed call or retry.

Every call of the store reports here (``RedisClient.io``), and so do the event feed's reconnections,
which keep trying while the bot is idle. A call that began before Redis came back and fails
afterwards says nothing new. Flapping (a node of a cluster going up and down) is told at most once
per ``QUIET_S``: an outage that starts sooner is announced only if it lasts until then, and the
announcement counts the short interruptions left untold.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

QUIET_S = 30.0


def reason(exc: BaseException, timeout: float) -> str:
    """Why a call failed, in one line: the exception's class and message; a bare timeout (asyncio's, or a
    TLS handshake that never ends) has no message, so it says how long it waited."""
    text = " ".join(str(exc).split())
    if not text and isinstance(exc, TimeoutError):
        text = f"no answer within {timeout:g} s"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Health:
    """The state of one store's connection to Redis; ``clock`` gives seconds (monotonic)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._down_since: float | None = None
        self._up_since = -math.inf
        self._announced = False  # the current outage was told
        self._told_at = -math.inf  # when the last line was logged
        self._untold = 0  # short outages since the last line that were not told

    @property
    def available(self) -> bool:
        return self._down_since is None

    def answered(self) -> None:
        """A call succeeded (cheap when nothing changes: it runs on every call)."""
        if self._down_since is None:
            return
        now = self.clock()
        if self._announced:
            log.warning("presence: Redis available again after %.1f s", now - self._down_since)
            self._told_at = now
        else:
            self._untold += 1
        self._down_since, self._up_since = None, now

    def failed(self, why: str, started: float | None = None) -> None:
        """A call that began at ``started`` (``clock`` time; None: just now) failed for reason ``why``."""
        now = self.clock()
        if started is not None and started < self._up_since:
            return
        if self._down_since is None:
            self._down_since, self._announced = now, False
        if self._announced or now - self._told_at < QUIET_S:
            return
        extra = []
        if now - self._down_since >= 1:
            extra.append(f"for {now - self._down_since:.0f} s")
        if self._untold:
            extra.append(f"after {self._untold} shorter interruption{'s' if self._untold > 1 else ''}")
        log.warning("presence: Redis unavailable%s: %s", f" ({', '.join(extra)})" if extra else "", why)
        self._announced, self._told_at, self._untold = True, now, 0
