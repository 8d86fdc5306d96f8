"""Prometheus metrics of one bot process: what it recorded and answered, what failed, how the store performs.

Each ``Metrics`` keeps its own registry rather than the library's global one, so several bots in
one process (and tests) never share counters. Labels take bounded values only: platform names,
subcommand names and fixed kinds, never user text or ids.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Mapping, Sequence
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter, GCCollector, Histogram, ProcessCollector

from presence_bot.router import command_topic
from presence_core.models import Activity, ActivityEvent, PersonRecord, Transition
from presence_core.policy import Policy
from presence_core.stores.base import Store, TransitionListener

T = TypeVar("T")

# Seconds: a memory store answers in microseconds, SQLite in about a millisecond, Redis in a round trip.
LATENCY_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# Activities per record call: one on a quiet bot, up to the batcher's 512 under load.
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


class Metrics:
    """The counters and histograms the bot, its store wrapper and the ``/metrics`` endpoint share."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.messages = Counter("presence_messages_recorded", "Messages, commands and interactions recorded as activity",
                                ["platform"], registry=self.registry)
        self.commands = Counter("presence_commands", "/presence commands run, by subcommand",
                                ["command"], registry=self.registry)
        self.rate_limited = Counter("presence_commands_rate_limited",
                                    "/presence commands left unanswered by the per-person or per-chat limit",
                                    registry=self.registry)
        self.errors = Counter("presence_errors", "Failures: record (activity lost), command (answered with an "
                              "internal error), delivery (reply not sent), store (a store call raised)",
                              ["kind"], registry=self.registry)
        self.store_seconds = Histogram("presence_store_seconds", "Latency of store calls, by operation",
                                       ["operation"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.batch_size = Histogram("presence_record_batch_size", "Activities written by one store record call",
                                    buckets=BATCH_BUCKETS, registry=self.registry)
        self._recorded: dict[str, Counter] = {}

    def recorded(self, platform: str) -> Counter:
        """The per-platform counter, looked up once: it is bumped for every message."""
        counter = self._recorded.get(platform)
        if counter is None:
            counter = self._recorded[platform] = self.messages.labels(platform=platform)
        return counter


def command_label(text: str, mentions: Mapping[str, str]) -> str:
    """The command's label: what the router would run, "other" for an unknown word, never raw user text."""
    return command_topic(text, mentions) or "other"


class InstrumentedStore(Store):
    """Any store, each call timed by operation and every ``record`` batch measured; errors counted."""

    def __init__(self, inner: Store, metrics: Metrics) -> None:
        self.inner = inner
        self.metrics = metrics

    async def _timed(self, operation: str, call: Awaitable[T]) -> T:
        started = time.perf_counter()
        try:
            return await call
        except Exception:
            self.metrics.errors.labels(kind="store").inc()
            raise
        finally:
            self.metrics.store_seconds.labels(operation=operation).observe(time.perf_counter() - started)

    async def start(self, listener: TransitionListener | None = None) -> None:
        await self.inner.start(listener)

    async def close(self) -> None:
        await self.inner.close()

    async def record(self, batch: Sequence[Activity], policy: Policy) -> list[Transition]:
        self.metrics.batch_size.observe(len(batch))
        return await self._timed("record", self.inner.record(batch, policy))

    async def load(self, person_ids: Sequence[str]) -> dict[str, PersonRecord]:
        return await self._timed("load", self.inner.load(person_ids))

    async def save(self, record: PersonRecord, expected_version: int, transition: Transition | None) -> bool:
        return await self._timed("save", self.inner.save(record, expected_version, transition))

    async def resolve(self, user_ids: Sequence[str]) -> dict[str, str]:
        return await self._timed("resolve", self.inner.resolve(user_ids))

    async def activity(self, person_id: str, limit: int, since: int | None) -> list[ActivityEvent]:
        return await self._timed("activity", self.inner.activity(person_id, limit, since))

    async def channel_people(self, channel_id: str, since: int, limit: int) -> tuple[list[PersonRecord], int]:
        return await self._timed("channel_people", self.inner.channel_people(channel_id, since, limit))

    async def due(self, now: int, limit: int) -> list[str]:
        return await self._timed("due", self.inner.due(now, limit))

    async def merge(self, into: PersonRecord, expected_version: int, absorbed_id: str) -> bool:
        return await self._timed("merge", self.inner.merge(into, expected_version, absorbed_id))

    async def split(self, record: PersonRecord, expected_version: int, split_off: PersonRecord) -> bool:
        return await self._timed("split", self.inner.split(record, expected_version, split_off))

    async def forget(self, person_id: str) -> None:
        await self._timed("forget", self.inner.forget(person_id))

    async def put_code(self, code_hash: str, owner_id: str, expires_at: int) -> None:
        await self._timed("put_code", self.inner.put_code(code_hash, owner_id, expires_at))

    async def take_code(self, code_hash: str, now: int) -> str | None:
        return await self._timed("take_code", self.inner.take_code(code_hash, now))

    async def hit(self, key: str, window_ms: int, now: int) -> int:
        return await self._timed("hit", self.inner.hit(key, window_ms, now))

    async def remove_expired(self, now: int) -> None:
        await self._timed("remove_expired", self.inner.remove_expired(now))

    async def name_channels(self, names: Mapping[str, str]) -> None:
        await self._timed("name_channels", self.inner.name_channels(names))

    async def channel_names(self, channel_ids: Sequence[str]) -> dict[str, str]:
        return await self._timed("channel_names", self.inner.channel_names(channel_ids))
