"""Redis behind Sentinel (issue 15): found through the sentinels, and a failover under load loses nothing."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from presence_bot.app import PresenceBot
from presence_core import PresenceService
from presence_core.errors import InvalidArgumentError
from presence_core.stores.redis import RedisStore
from presence_core.stores.redis_connect import connect
from tests.presence_core.stores.test_contract import POLICY, T0, message
from tests.support.chat import Chat
from tests.support.clock import FakeClock
from tests.support.redis_server import RedisSentinels

pytest_plugins = ["tests.support.redis_sentinel_store"]
SENDERS = 20
UNAVAILABLE = "⚠️ Presence data is temporarily unavailable. Try again in a moment."


def test_sentinel_urls_name_sentinels_master_and_database() -> None:
    found = connect("redis+sentinel://:pw@10.0.0.1:26379,[::1]:26380/mymaster/2", cluster=None, options={})
    assert found.kind == "sentinel" and len(found.sentinels) == 2
    pool = found.client.connection_pool
    assert pool.service_name == "mymaster" and pool.connection_kwargs["db"] == 2
    assert pool.connection_kwargs["password"] == "pw"
    assert connect("rediss+sentinel://h:1/m", cluster=None, options={}).kind == "sentinel"
    for bad in ("redis+sentinel://h:1", "redis+sentinel://h/m", "redis+sentinel://h:1/m/x", "redis+sentinal://h:1/m",
                "localhost:6379"):
        with pytest.raises(InvalidArgumentError):
            connect(bad, cluster=None, options={})


async def test_the_store_works_through_the_sentinels(redis_sentinels: RedisSentinels) -> None:
    store = RedisStore(redis_sentinels.url)
    await store.start()
    try:
        assert await store.record([message("console:alice", T0)], POLICY)
        assert (await store.load(["console:alice"]))["console:alice"].last_seen == T0
        replica = redis_sentinels.servers[1]
        assert "console:alice" in replica.command("KEYS", "*")  # written to the replica before acknowledged
    finally:
        await store.close()


async def test_a_failover_under_load_loses_nothing_and_the_bot_keeps_answering(
        redis_sentinels: RedisSentinels, clock: FakeClock) -> None:
    service = PresenceService(RedisStore(redis_sentinels.url, timeout=0.5), clock=clock)
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
    old = redis_sentinels.master()
    assert old.process is not None
    old.process.kill()  # as a crash: no shutdown, no last replication
    started, answers = time.monotonic(), Counter[str]()
    while redis_sentinels.master_port() in (None, old.port) and time.monotonic() - started < 30:
        [answer] = await chat.say("asker", "/presence who")
        answers["unavailable" if answer.text == UNAVAILABLE else "answered"] += 1
        await asyncio.sleep(0.2)
    assert redis_sentinels.master_port() not in (None, old.port), "no failover within 30 s"
    await asyncio.sleep(1)
    stop.set()
    await asyncio.gather(*load)
    async with asyncio.timeout(30):
        while service.buffered:
            await asyncio.sleep(0.1)
    await service.flush()

    # Nothing acknowledged is lost, and a batch in flight while the master died or the new one took over,
    # written again because its acknowledgement was lost, counts once (its token).
    for n in range(SENDERS):
        user = f"user{n}"
        assert len(await service.store.activity(f"test:{user}", 100_000, None)) == sent[user], user
    assert answers["unavailable"] >= 1
    async with asyncio.timeout(10):
        while "Here now" not in (await chat.say("asker", "/presence who"))[0].text:
            await asyncio.sleep(0.2)
    await chat.bot.close()
    await service.close()
