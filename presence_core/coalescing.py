"""Reads asked for at the same moment answered by one store call (the read-side twin of ``batching``).

A heartbeat over HTTP loads its person's record; 64 heartbeats in flight would be 64 awaited round
trips to Redis, each costing more client CPU than the whole heartbeat otherwise does. Here the
first read of a loop turn starts a fetch on the next turn, every read asked for until then joins
it, and reads asked for while a fetch is in flight go together into the next one. A read is
never answered from an earlier fetch: each sees the store as of a moment after it was asked.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Coalesced(Generic[K, V]):
    """``get(key)`` through ``fetch(keys) -> {key: value}`` (keys missing from the answer read as None)."""

    def __init__(self, fetch: Callable[[Sequence[K]], Awaitable[Mapping[K, V]]], max_size: int = 512) -> None:
        self._fetch = fetch
        self._max_size = max_size
        self._waiting: dict[K, list[asyncio.Future[V | None]]] = {}
        self._runner: asyncio.Task[None] | None = None

    async def get(self, key: K) -> V | None:
        """The value of ``key`` as of a fetch started after this call; raises what that fetch raised."""
        future: asyncio.Future[V | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(future)
        if self._runner is None or self._runner.done():
            # A fresh context: the fetch belongs to no single request.
            self._runner = asyncio.create_task(self._run(), context=contextvars.Context())
        return await future

    async def _run(self) -> None:
        while self._waiting:
            keys = list(self._waiting)[: self._max_size]
            batch = {key: self._waiting.pop(key) for key in keys}
            try:
                found = await self._fetch(keys)
            except asyncio.CancelledError:  # shutting down: nobody waits for an answer that will not come
                for futures in (*batch.values(), *self._waiting.values()):
                    for future in futures:
                        future.cancel()
                raise
            except Exception as exc:  # every waiter of this fetch gets its error
                for futures in batch.values():
                    for future in futures:
                        if not future.done():
                            future.set_exception(exc)
            else:
                for key, futures in batch.items():
                    value = found.get(key)
                    for future in futures:
                        if not future.done():
                            future.set_result(value)
