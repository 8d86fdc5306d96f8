"""Activities kept while the store is unavailable, written in order once it is back.

Bounded: past the limit the oldest are dropped, and how many is logged when the store returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Sequence

from presence_core.errors import StoreUnavailableError
from presence_core.models import Activity

log = logging.getLogger(__name__)

RETRY_FIRST_S = 0.5
RETRY_MAX_S = 5.0
WRITE_BATCH = 512


class Backlog:
    def __init__(self, write: Callable[[Sequence[Activity]], Awaitable[None]], limit: int) -> None:
        self._write = write
        self._limit = limit
        self._items: deque[Activity] = deque()
        self._drainer: asyncio.Task[None] | None = None
        # Held while a chunk is being written, so what is discarded meanwhile is never written.
        self._writing = asyncio.Lock()
        self.dropped = 0
        self.written = 0

    def __len__(self) -> int:
        return len(self._items)

    def add(self, batch: Sequence[Activity]) -> None:
        if not self._items:
            log.warning("presence store unavailable: keeping recorded activity (up to %d) until it is back",
                        self._limit)
        self._items.extend(batch)
        overflow = len(self._items) - self._limit
        for _ in range(max(0, overflow)):
            self._items.popleft()
        if overflow > 0:
            if self.dropped == 0:
                log.error("presence activity buffer is full (%d): dropping the oldest", self._limit)
            self.dropped += overflow
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())

    async def _write_some(self) -> None:
        async with self._writing:
            chunk = [self._items[i] for i in range(min(WRITE_BATCH, len(self._items)))]
            await self._write(chunk)
            for _ in chunk:
                self._items.popleft()
            self.written += len(chunk)

    async def discard(self, user_ids: Collection[str]) -> int:
        """Drop what these accounts did (they are being forgotten): never written after the erase.

        Waits for a chunk being written to finish first; returns how many activities were dropped.
        """
        async with self._writing:
            kept = [a for a in self._items if a.user_id not in user_ids]
            dropped = len(self._items) - len(kept)
            self._items = deque(kept)
            return dropped

    async def _drain(self) -> None:
        delay = RETRY_FIRST_S
        while self._items:
            await asyncio.sleep(delay)
            try:
                while self._items:
                    await self._write_some()
            except StoreUnavailableError:
                delay = min(delay * 2, RETRY_MAX_S)
                continue
            except Exception:
                log.exception("writing buffered presence activity failed; retrying")
                delay = min(delay * 2, RETRY_MAX_S)
                continue
        self._report()

    def _report(self) -> None:
        log.warning("presence store is back: wrote %d buffered activities, dropped %d", self.written, self.dropped)
        self.written = self.dropped = 0

    async def close(self) -> None:
        """One last attempt to write what is left; what cannot be written is counted in the log."""
        if self._drainer is not None:
            self._drainer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drainer
        if not self._items:
            return
        try:
            while self._items:
                await self._write_some()
            self._report()
        except Exception:
            log.error("presence store still unavailable at shutdown: %d buffered activities lost, %d dropped",
                      len(self._items), self.dropped)
