"""``forget`` leaves no key or row that names the person, looked for in the raw backends."""

from __future__ import annotations

import sqlite3

from presence_core import PresenceService
from presence_core.stores.redis import RedisStore
from presence_core.stores.sqlite import SqliteStore
from presence_core.tokens import device_id
from tests.support.clock import FakeClock

TG, DC, OTHER = "telegram:424242", "discord:737373", "telegram:5151"


async def history_then_forget(presence: PresenceService) -> None:
    """Everything a person can leave behind: linked accounts, devices, activity, channels, codes, hits,
    API tokens and app rooms."""
    for account, channel in ((TG, "telegram:-5"), (DC, "discord:9")):
        await presence.record_activity(account, {"channel_id": channel}, user_name="someone")
    await presence.link_account(DC, await presence.create_link_code(TG))
    await presence.set_device_status(DC, f"{DC}/desktop", "online")
    await presence.set_custom_status(TG, "secret plans", expires_at_ms=presence.clock() + 60_000)
    await presence.create_link_code(TG)
    await presence.count_hit("cmd:user", TG, 60_000)
    # availability and watches both ways (SPEC section 12), with someone who stays
    await presence.set_capacity(TG, 3)
    await presence.set_skills(DC, ["billing"])
    await presence.take(DC, 2)
    await presence.record_activity(OTHER, {"channel_id": "telegram:-5"})
    await presence.set_status(OTHER, "away")
    await presence.set_status(TG, "away")
    assert await presence.watch(OTHER, TG, "telegram:-5") is not None
    assert await presence.watch(TG, OTHER, "telegram:-5") is not None
    await presence.create_token(DC, "laptop")
    await presence.room_heartbeat(DC, device_id(DC, "laptop"), "app:doc-of-someone", {"cursor": "someone"})
    await presence.forget(DC)


async def test_forget_leaves_no_row_in_sqlite(tmp_path: object, clock: FakeClock) -> None:
    path = f"{tmp_path}/presence.sqlite3"
    async with PresenceService(SqliteStore(path), clock=clock) as presence:
        await history_then_forget(presence)
    with sqlite3.connect(path) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        leftovers = {table: rows for table in tables
                     if (rows := [r for r in db.execute(f"SELECT * FROM {table}")  # noqa: S608 - names from the schema
                                  if any(TG in str(v) or DC in str(v) or "someone" in str(v) for v in r)])}
    assert leftovers == {}


async def test_forget_leaves_no_key_or_member_in_redis(redis_store: RedisStore, clock: FakeClock) -> None:
    presence = PresenceService(redis_store, clock=clock)
    await presence.start()
    await history_then_forget(presence)
    client = redis_store.redis.raw
    leftovers = []
    async for key in client.scan_iter(count=1000):
        name = key.decode(errors="replace")
        kind = await client.type(key)
        values: list[bytes] = []
        if kind == b"zset":
            values = await client.zrange(key, 0, -1)
        elif kind == b"hash":
            values = [*await client.hkeys(key), *await client.hvals(key)]
        elif kind == b"list":
            values = await client.lrange(key, 0, -1)
        elif kind == b"string":
            values = [await client.get(key)]
        elif kind == b"set":
            values = list(await client.smembers(key))
        text = name + " ".join(v.decode(errors="replace") for v in values)
        if TG in text or DC in text or "someone" in text:
            leftovers.append(name)
    await presence.close()
    assert leftovers == []
