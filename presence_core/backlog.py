"""Activities kept while the store is unavailable, written in order once it is back.

Each batch is kept whole with its token (``Store.record``): a write whose outcome was unknown may
have committed, and written again with the same token it applies once. Bounded: past the limit the
oldest activities are dropped, and how many is logged when the store returns.
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


class Backlog:
    """``write(batch, token)`` writes one kept batch; ``len`` counts activities."""

    def __init__(self, write: Callable[[Sequence[Activity], str], Awaitable[None]], limit: int) -> None:
        self._write = write
        self._limit = limit
        self._items: deque[tuple[str, list[Activity]]] = deque()
        self._count = 0
        self._drainer: asyncio.Task[None] | None = None
        # Held while a chunk is being written, so what is discarded meanwhile is never written.
        self._writing = asyncio.Lock()
        self.dropped = 0
        self.written = 0

    def __len__(self) -> int:
        return self._count

    def add(self, batch: Sequence[Activity], token: str) -> None:
        if not self._items:
            log.warning("presence store unavailable: keeping recorded activity (up to %d) until it is back",
                        self._limit)
        self._items.append((token, list(batch)))
        self._count += len(batch)
        overflow = self._count - self._limit
        if overflow > 0:
            self._drop_oldest(overflow)
            if self.dropped == 0:
                log.error("presence activity buffer is full (%d): dropping the oldest", self._limit)
            self.dropped += overflow
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())

    def _drop_oldest(self, n: int) -> None:
        while n > 0:
            token, batch = self._items[0]
            if len(batch) > n:  # the rest of that batch keeps its token
                self._items[0] = (token, batch[n:])
                self._count -= n
                return
            self._items.popleft()
            self._count -= len(batch)
            n -= len(batch)

    async def _write_some(self) -> None:
        async with self._writing:
            token, batch = self._items[0]
            await self._write(batch, token)
            self.written += len(batch)
            if self._items and self._items[0][0] == token:  # unless the bound dropped it meanwhile
                self._count -= len(self._items.popleft()[1])

    async def discard(self, user_ids: Collection[str]) -> int:
        """Drop what these accounts did (they are being forgotten): never written after the erase.

        Waits for a batch being written to finish first; returns how many activities were dropped.
        """
        async with self._writing:
            kept = [(token, [a for a in batch if a.user_id not in user_ids]) for token, batch in self._items]
            self._items = deque((token, batch) for token, batch in kept if batch)
            before, self._count = self._count, sum(len(batch) for _, batch in self._items)
            return before - self._count

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
                      self._count, self.dropped)
