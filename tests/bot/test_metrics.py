"""Metrics (issue 7, item 6): what the bot counts, what the store wrapper measures, bounded labels."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest
from hypothesis import given

from presence_bot.app import PresenceBot
from presence_bot.catalog import SUBCOMMANDS
from presence_bot.metrics import STORE_OPERATIONS, InstrumentedStore, Metrics, command_label
from presence_bot.options import BotOptions
from presence_bot.reply import Reply
from presence_bot.session import Session
from presence_bot.settings import Settings
from presence_bot.wiring import build_metrics, build_service
from presence_core import PresenceService, Policy, Transition
from presence_core.models import Activity
from presence_core.recorder import WRITERS
from presence_core.stores.base import Store
from presence_core.stores.memory import MemoryStore
from tests.support.chat import Chat, RecordingOutbox
from tests.support.clock import FakeClock
from tests.support.hostile import FUZZ, hostile_text


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def metered(clock: FakeClock) -> AsyncIterator[tuple[Chat, Metrics]]:
    """A bot whose store is the instrumented memory store, with low command limits."""
    metrics = Metrics()
    service = PresenceService(InstrumentedStore(MemoryStore(), metrics), clock=clock)
    async with service:
        presence_bot = PresenceBot(service, BotOptions(prompt_timeout_s=5, user_commands_per_minute=5), metrics)
        yield Chat(presence_bot), metrics
        await presence_bot.close()


async def test_messages_commands_and_rate_limits_are_counted(metered: tuple[Chat, Metrics]) -> None:
    chat, metrics = metered
    await chat.say("alice", "hello")
    await chat.say("alice", "/presence who")
    await chat.say("alice", "/presence 勿扰")
    await chat.say("alice", "/presence")
    await chat.say("alice", "/presence @bob", mentions={"@bob": "test:bob"})
    await chat.say("alice", "/presence frobnicate-me-please")
    await chat.say("alice", "/presence who")

    assert sample(metrics, "presence_messages_recorded_total", platform="test") == 7
    assert {name: sample(metrics, "presence_commands_total", command=name)
            for name in ("who", "dnd", "presence", "user", "other")} == {
        "who": 1, "dnd": 1, "presence": 1, "user": 1, "other": 1}
    assert sample(metrics, "presence_commands_rate_limited_total") == 1
    assert sample(metrics, "presence_errors_total", kind="command") == 0


async def test_store_calls_are_timed_by_operation_and_record_batches_measured(metered: tuple[Chat, Metrics]) -> None:
    chat, metrics = metered
    service = chat.bot.service
    await asyncio.gather(*(service.record_activity(f"test:{n}", {"channel_id": "test:room"}) for n in range(5)))
    await chat.say("alice", "/presence who")

    # The five arrive together: at most one batch per writer; the lone "/presence who" is one more.
    assert 2 <= sample(metrics, "presence_record_batch_size_count") <= WRITERS + 1
    assert sample(metrics, "presence_record_batch_size_sum") == 6
    assert sample(metrics, "presence_record_batch_size_bucket", le="1.0") >= 1
    for operation in ("record", "hit", "channel_people"):
        assert sample(metrics, "presence_store_seconds_count", operation=operation) >= 1
    assert sample(metrics, "presence_store_seconds_sum", operation="record") > 0


class BrokenOutbox(RecordingOutbox):
    async def send(self, session: Session, reply: Reply) -> None:
        raise ConnectionError("the platform is down")


class FailingStore(MemoryStore):
    async def record(self, batch: Sequence[Activity], policy: Policy, *, token: str | None = None) -> list[Transition]:
        raise ConnectionError("the store is down")


async def test_failures_are_counted_by_kind(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    metrics = Metrics()
    service = PresenceService(InstrumentedStore(FailingStore(), metrics), clock=clock)
    async with service:
        chat = Chat(PresenceBot(service, BotOptions(), metrics))
        chat.outbox = BrokenOutbox()

        async def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("bug")
        monkeypatch.setattr(service, "get_channel_presence", broken)
        await chat.say("alice", "/presence who")

    assert {kind: sample(metrics, "presence_errors_total", kind=kind)
            for kind in ("record", "store", "command", "delivery")} == {
        "record": 1, "store": 1, "command": 1, "delivery": 1}
    assert sample(metrics, "presence_messages_recorded_total", platform="test") == 0


@FUZZ
@given(text=hostile_text)
def test_command_labels_are_bounded_whatever_is_typed(text: str) -> None:
    assert command_label(text, {}) in {*SUBCOMMANDS, "presence", "user", "other"}


def test_the_wrapper_times_every_operation_of_the_store_contract() -> None:
    assert not InstrumentedStore.__abstractmethods__
    assert Store.__abstractmethods__ | {"publish"} <= set(STORE_OPERATIONS) <= set(vars(InstrumentedStore))


async def test_every_operation_goes_through_on_every_backend(store: Store, clock: FakeClock) -> None:
    """The instrumented store is still the store: linking, sweeping and forgetting work through it."""
    metrics = Metrics()
    async with PresenceService(InstrumentedStore(store, metrics), clock=clock) as service:
        await service.record_activity("telegram:1", {"channel_id": "telegram:-5"})
        await service.name_channel("telegram:-5", "Dev Team")
        assert await service.get_channel_names(["telegram:-5"]) == {"telegram:-5": "Dev Team"}
        await service.link_account("discord:2", await service.create_link_code("telegram:1"))
        await service.set_status("discord:2", "dnd", expires_at_ms=clock.now + 60_000)
        assert (await service.get_status("telegram:1")).status == "dnd"
        assert [u.user_id for u in await service.get_online_users("telegram:-5")] == ["telegram:1"]
        assert len(await service.get_activity("discord:2")) == 1
        clock.advance(minutes=2)
        assert [t.new for t in await service.sweep()] == ["online"]
        await service.unlink_account("telegram:1", "discord:2")
        await service.forget("telegram:1")
        assert (await service.get_status("telegram:1")).last_seen is None
    timed = {s.labels["operation"] for s in metrics.store_seconds.collect()[0].samples if s.name.endswith("_count")}
    assert timed == {"record", "load", "save", "resolve", "activity", "channel_people", "due", "merge", "split",
                     "forget", "do_not_track", "put_code", "take_code", "hit", "housekeep",
                     "name_channels", "channel_names", "forget_availability", "tokens",
                     "memberships_of", "memberships", "publish"}


def test_metrics_are_off_unless_enabled() -> None:
    assert Settings().metrics.enabled is False and build_metrics(Settings()) is None
    plain = build_service(Settings())
    assert not isinstance(plain.store, InstrumentedStore)
    metrics = build_metrics(Settings(metrics={"enabled": True}))
    assert metrics is not None and isinstance(build_service(Settings(), metrics).store, InstrumentedStore)
