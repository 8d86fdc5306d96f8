"""Redis goes away for 10 s under load: the bot keeps answering, and no recorded message is lost."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from presence_bot.app import PresenceBot
from presence_core import PresenceService
from presence_core.stores.redis import RedisStore
from tests.support.chat import Chat
from tests.support.clock import FakeClock
from tests.support.redis_server import RedisServer
from tests.support.redis_store import require_redis

OUTAGE_S = 10.0
SENDERS = 20
UNAVAILABLE = "⚠️ Presence data is temporarily unavailable. Try again in a moment."


@pytest.fixture
def durable_redis() -> Iterator[RedisServer]:
    """A server of its own that keeps its data across a restart."""
    require_redis()
    server = RedisServer(extra=("--appendonly", "yes", "--appendfsync", "always"))
    yield server
    server.stop()


async def test_an_outage_under_load_loses_nothing_within_the_buffer(durable_redis: RedisServer,
                                                                    clock: FakeClock) -> None:
    service = PresenceService(RedisStore(durable_redis.url, timeout=0.5), clock=clock)
    await service.start()
    chat = Chat(PresenceBot(service))
    sent: Counter[str] = Counter()
    stop = asyncio.Event()

    async def sender(n: int) -> None:
        user = f"user{n}"
        while not stop.is_set():
            assert await chat.say(user, f"message {sent[user]}") == []
            sent[user] += 1
            await asyncio.sleep(0.05)  # pacing of the load (under the log cap of 500), not a presence timer

    load = [asyncio.create_task(sender(n)) for n in range(SENDERS)]
    await asyncio.sleep(1)
    durable_redis.halt()
    outage_started = time.monotonic()
    while time.monotonic() - outage_started < OUTAGE_S:
        [answer] = await chat.say("asker", "/presence who")
        assert answer.text == UNAVAILABLE
        await asyncio.sleep(1)
    during = sum(sent.values())
    durable_redis.resume()
    await asyncio.sleep(1)
    stop.set()
    await asyncio.gather(*load)
    async with asyncio.timeout(30):
        while service.buffered:
            await asyncio.sleep(0.1)
    await service.flush()

    store = service.store
    for n in range(SENDERS):
        user = f"user{n}"
        assert len(await store.activity(f"test:{user}", 100_000, None)) == sent[user], user
    assert service.buffered == 0 and during > SENDERS * OUTAGE_S  # the load really ran through the outage
    [answer] = await chat.say("asker", "/presence who")
    assert "Here now" in answer.text
    await chat.bot.close()
    await service.close()
