"""Coalesce activities recorded at the same moment into one store call.

No timer: a flush starts on the next turn of the event loop, so a lone message waits for nothing,
and whatever arrives while a flush is in flight goes together into the next one.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class Batcher(Generic[T]):
    def __init__(self, flush: Callable[[Sequence[T]], Awaitable[object]], max_size: int = 512) -> None:
        self._flush = flush
        self._max_size = max_size
        self._pending: list[tuple[T, asyncio.Future[None]]] = []
        self._runner: asyncio.Task[None] | None = None

    def submit(self, item: T) -> asyncio.Future[None]:
        """Queue ``item``: the future is done once the batch holding it is written, or raises what the write raised.

        A plain function returning the future, not a coroutine: every await level a message passes
        through costs it twice (suspended, then resumed), once per message on the hot path.
        """
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._runner is None or self._runner.done():
            # A fresh context: the batch belongs to no single message's request id.
            self._runner = asyncio.create_task(self._run(), context=contextvars.Context())
        return future

    async def _run(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[: self._max_size], self._pending[self._max_size:]
            try:
                await self._flush([item for item, _ in batch])
            except Exception as exc:  # every waiter gets the error of its own batch
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)

    async def drain(self) -> None:
        """Wait until everything submitted so far is written."""
        while self._runner is not None and not self._runner.done():
            await asyncio.shield(self._runner)
