"""Writing recorded activity: batches per writer, kept through a store outage.

Concurrent ``record_activity`` calls are written together in one store call (``Batcher``); each
person always goes to the same writer, so their activity stays in order. While the store is
unavailable, batches wait in the ``Backlog`` and are written, in order, when it comes back.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from presence_core.backlog import Backlog
from presence_core.batching import Batcher
from presence_core.errors import StoreUnavailableError
from presence_core.models import Activity

if TYPE_CHECKING:
    from presence_core.service import PresenceService

# Batches in flight at once. Two keep the store busy while Python prepares the next batch, and make
# each batch twice as big as four did: 256 senders on Redis ran 10-40% faster (bench/RESULTS-redis.md).
WRITERS = 2
BATCH_TOKEN_BYTES = 12  # random bytes naming a batch (Store.record's token): never the same twice


class Recorder:
    def __init__(self, service: PresenceService) -> None:
        self.service = service
        self._writers: list[Batcher[Activity]] = [Batcher(self._flush) for _ in range(WRITERS)]
        self.backlog = Backlog(self._write_late, service.policy.outage_buffer_max)

    def submit(self, activity: Activity) -> asyncio.Future[None]:
        """Queue one activity for its person's writer; the future is done when it is written (or kept)."""
        return self._writers[hash(activity.user_id) % WRITERS].submit(activity)

    async def _flush(self, batch: Sequence[Activity]) -> None:
        """Write a batch; while the store is unavailable (or older ones still wait) keep it for later,
        with its token: a write that failed may have committed, and written again it applies once."""
        token = secrets.token_urlsafe(BATCH_TOKEN_BYTES)
        if len(self.backlog):
            self.backlog.add(batch, token)
            return
        try:
            await self._write(batch, token)
        except StoreUnavailableError:
            self.backlog.add(batch, token)

    async def _write(self, batch: Sequence[Activity], token: str) -> None:
        joins = self.service.chat_joins
        unlisted = await joins.unlisted(batch)
        await self.service._emit(await self.service.store.record(batch, self.service.policy, token=token))
        await joins.written(batch, unlisted)

    async def _write_late(self, batch: Sequence[Activity], token: str) -> None:
        """Activity kept through a store outage arrives when it is written, and keeps its age."""
        now = self.service.clock()
        await self._write([replace(a, arrived=now) for a in batch], token)

    @property
    def buffered(self) -> int:
        """Activities waiting for the store to come back."""
        return len(self.backlog)

    async def close(self) -> None:
        """One last attempt to write what is kept; what cannot be written is counted in the log."""
        await self.backlog.close()

    async def flush(self) -> None:
        """Wait until every activity recorded so far is written."""
        for writer in self._writers:
            await writer.drain()
