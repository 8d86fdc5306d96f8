"""Channel memberships on Redis: each lives twice, as a member of the channel's ZSET (``c:``) and as a
field of its person's hash (``redis_codec.member_field``), both -> the last time the account was seen there.

The record script renews both; these are the other changes (SPEC section 10): leaving, a channel
that changes id, a channel the bot left.
"""

from __future__ import annotations

from collections.abc import Sequence

from presence_core.models import Membership
from presence_core.stores import redis_codec as codec
from presence_core.stores.redis_client import Call, RedisClient
from presence_core.stores.redis_keys import Keys


class Memberships:
    def __init__(self, redis: RedisClient, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    async def of(self, person_id: str, since: int) -> list[Membership]:
        fields = await self.redis.io(self.redis.raw.hgetall(self.keys.person(person_id)))
        return codec.memberships(person_id, fields, since) if fields else []

    async def of_many(self, person_ids: Sequence[str], since: int) -> dict[str, list[Membership]]:
        """Several people's memberships in one pipeline (every id given -> its list)."""
        ids = list(dict.fromkeys(person_ids))
        hashes = await self.redis.pipeline([["HGETALL", self.keys.person(p)] for p in ids]) if ids else []
        return {p: codec.memberships(p, fields, since) if fields else [] for p, fields in zip(ids, hashes)}

    async def persons_of(self, account_ids: Sequence[str]) -> dict[str, str]:
        """Uncached: membership changes must reach the person the account belongs to right now."""
        values = await self.redis.mget([self.keys.alias(a) for a in account_ids])
        return {a: v.decode() if v is not None else a for a, v in zip(account_ids, values)}

    async def end(self, channel_id: str, account_ids: Sequence[str]) -> None:
        if not account_ids:
            return
        persons = await self.persons_of(account_ids)
        commands: list[list[object]] = [["ZREM", self.keys.channel(channel_id), *account_ids]]
        commands += [["HDEL", self.keys.person(person), codec.member_field(account, person, channel_id)]
                     for account, person in persons.items()]
        await self.redis.pipeline(commands)

    async def move_channel(self, old_id: str, new_id: str) -> None:
        old, new = self.keys.channel(old_id), self.keys.channel(new_id)
        pipe = self.redis.raw.pipeline(transaction=False)
        pipe.zrange(old, 0, -1, withscores=True)
        pipe.pttl(old)
        found, ttl = await self.redis.io(pipe.execute())
        members = dict(found)
        if not members:
            return
        commands: list[list[object]] = [["ZADD", new, "GT", *(x for m, ts in members.items() for x in (ts, m))],
                                        ["DEL", old]]
        if ttl > 0:  # the channel's key lives on as long as the old one would have
            commands.append(["PEXPIRE", new, ttl])
        await self.redis.pipeline(commands)
        persons = await self.persons_of([m.decode() for m in members])
        calls: list[Call] = [("MOVE_MEMBER", [self.keys.person(person)],
                              [codec.member_field(account, person, old_id), codec.member_field(account, person, new_id)])
                             for account, person in persons.items()]
        await self.redis.eval_many(calls)

    async def drop(self, channel_id: str) -> None:
        members = await self.redis.io(self.redis.raw.zrange(self.keys.channel(channel_id), 0, -1))
        await self.end(channel_id, [m.decode() for m in members])
        await self.redis.io(self.redis.raw.delete(self.keys.channel(channel_id)))
