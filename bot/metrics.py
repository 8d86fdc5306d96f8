"""Prometheus metrics of one bot process: what it recorded and answered, what failed, how the store performs.

Each ``Metrics`` keeps its own registry rather than the library's global one, so several bots in
one process (and tests) never share counters. Labels take bounded values only: platform names,
subcommand names and fixed kinds, never user text or ids.
"""

from __future__ import annotations

import abc
import inspect
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, GCCollector, Histogram, ProcessCollector

from presence_bot.router import command_topic
from presence_core.models import Activity, Event
from presence_core.policy import Policy
from presence_core.stores.base import EventListener, Store

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
                              "internal error), delivery (reply not sent), store (a store call raised), "
                              "membership (a leave, move or removal not applied)",
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


# Every operation of the store contract, each timed under its own name (bounded: the contract's).
STORE_OPERATIONS = tuple(name for name, value in vars(Store).items()
                         if inspect.iscoroutinefunction(value) and name not in ("start", "close"))


def _timed_operation(name: str) -> Callable[..., Awaitable[Any]]:
    async def operation(self: InstrumentedStore, *args: Any, **kwargs: Any) -> Any:
        return await self._timed(name, getattr(self.inner, name)(*args, **kwargs))
    operation.__name__ = operation.__qualname__ = name
    return operation


class InstrumentedStore(Store):
    """Any store, each contract call timed by operation and every ``record`` batch measured; errors counted.

    The operations are made from the contract itself, so one added to ``Store`` is timed too.
    """

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

    async def start(self, listener: EventListener | None = None) -> None:
        await self.inner.start(listener)

    async def close(self) -> None:
        await self.inner.close()

    async def record(self, batch: Sequence[Activity], policy: Policy, *, token: str | None = None) -> list[Event]:
        self.metrics.batch_size.observe(len(batch))
        return await self._timed("record", self.inner.record(batch, policy, token=token))


for _name in STORE_OPERATIONS:
    if _name not in vars(InstrumentedStore):
        setattr(InstrumentedStore, _name, _timed_operation(_name))
abc.update_abstractmethods(InstrumentedStore)
