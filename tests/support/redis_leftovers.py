"""What a Redis store holds that names someone: every key, member, field, value and stream entry, read raw."""

from __future__ import annotations

from collections.abc import Sequence

from presence_core.stores.redis import RedisStore


async def keys_naming(store: RedisStore, needles: Sequence[str]) -> list[str]:
    """The keys (on every node) whose name or content holds any of ``needles``."""
    client = store.redis.raw
    found = []
    async for key in client.scan_iter(count=1000):
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
        elif kind == b"stream":
            values = [v for _, fields in await client.xrange(key) for pair in fields.items() for v in pair]
        name = key.decode(errors="replace")
        text = name + " ".join(v.decode(errors="replace") for v in values)
        if any(needle in text for needle in needles):
            found.append(name)
    return sorted(found)
