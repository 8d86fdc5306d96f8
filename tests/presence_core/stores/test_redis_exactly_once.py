"""A batch written again after an unknown outcome applies once, on one Redis and on a cluster (issue 15)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from presence_core import PresenceService, backlog
from presence_core.errors import StoreUnavailableError
from presence_core.stores.redis import RedisStore
from tests.presence_core.stores.test_contract import POLICY, T0, message
from tests.support.clock import FakeClock


async def token_keys(store: RedisStore) -> list[bytes]:
    raw = store.redis.raw
    if store.cluster:
        return [k async for k in raw.scan_iter(match=f"{store.keys.prefix}b:*", target_nodes=raw.ALL_NODES)]
    return [k async for k in raw.scan_iter(match=f"{store.keys.prefix}b:*")]


async def test_a_batch_written_twice_with_its_token_applies_once(redis_like: RedisStore) -> None:
    batch = [message("console:ann", T0), message("console:bob", T0 + 1, "console:den"),
             message("console:ann", T0 + 2)]
    assert len(await redis_like.record(batch, POLICY, token="t1")) == 2
    assert await redis_like.record(batch, POLICY, token="t1") == []  # its acknowledgement was lost
    assert len(await redis_like.activity("console:ann", 50, None)) == 2
    assert len(await redis_like.activity("console:bob", 50, None)) == 1
    assert (await redis_like.load(["console:ann"]))["console:ann"].version == 2
    # another batch, even of the same activities, is another write
    await redis_like.record(batch, POLICY, token="t2")
    assert len(await redis_like.activity("console:ann", 50, None)) == 4


async def test_a_repeat_still_writes_the_channels_a_cluster_writes_second(redis_like: RedisStore) -> None:
    """On a cluster a channel is written by a second call: if that one failed, the repeat writes it."""
    batch = [message("console:ann", T0, "console:den")]
    await redis_like.record(batch, POLICY, token="t1")
    await redis_like.redis.io(redis_like.redis.raw.delete(redis_like.keys.channel("console:den")))
    await redis_like.record(batch, POLICY, token="t1")
    people, total = await redis_like.channel_people("console:den", T0 - 1, 10)
    assert total == (1 if redis_like.cluster else 0)  # one Redis writes channels with the person, atomically
    assert len(await redis_like.activity("console:ann", 50, None)) == 1


async def test_acknowledged_tokens_are_deleted_by_the_next_write_to_their_slot(redis_like: RedisStore) -> None:
    for n in range(5):
        await redis_like.record([message("console:ann", T0 + n)], POLICY, token=f"t{n}")
    assert [k.decode().rsplit("}", 1)[1] for k in await token_keys(redis_like)] == ["t4"]


def lose_one_acknowledgement(store: RedisStore) -> Callable[[], bool]:
    """The next record script commits, then its reply is lost as with a dropped connection."""
    lost: list[bool] = []

    def wrap(call: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def once(*args: Any) -> Any:
            reply = await call(*args)
            if not lost and "RECORD" in repr(args[:2]):
                lost.append(True)
                raise StoreUnavailableError("Redis store: ConnectionError: the reply never came")
            return reply
        return once

    store.redis.eval = wrap(store.redis.eval)  # type: ignore[method-assign]
    store.redis.eval_many = wrap(store.redis.eval_many)  # type: ignore[method-assign]
    return lambda: bool(lost)


async def test_the_service_writes_a_batch_again_after_a_lost_reply_and_it_counts_once(
        redis_like: RedisStore, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backlog, "RETRY_FIRST_S", 0.01)
    service = PresenceService(redis_like, clock=clock)
    await service.start()
    was_lost = lose_one_acknowledgement(redis_like)
    for _ in range(3):
        await service.record_activity("console:ann", {"channel_id": "console:den"})
        clock.advance(1000)
    assert was_lost() and service.buffered >= 1
    async with asyncio.timeout(10):
        while service.buffered:
            await asyncio.sleep(0.01)
    assert len(await service.get_activity("console:ann", 50)) == 3
    await service.close()
