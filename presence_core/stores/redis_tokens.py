"""API tokens in the Redis store (SPEC section 11).

Keys (``P`` the prefix, ``{S}`` the hash tag of the id that follows, as everywhere in the store):

    P tk:{S}<token hash>  HASH  o owner account, n name, c created at, u last used (epoch ms)
    P ti:{S}<owner>       HASH  token name -> token hash: the owner's tokens, for listing and revoking

The two keys live in different slots, so each write is one script on one key, in an order that is
safe on a cluster: a new token's record is written before its name is claimed (nobody knows the
token until ``add_token`` returns), and a revoked token's record goes before its name, so a revoked
token never works again. A name left behind by an interrupted revoke is reclaimed by
compare-and-set on the index. Behind Sentinel these writes wait for the replicas like every other
(``WRITE_SCRIPTS``); the time of last use is a hint and does not.
"""

from __future__ import annotations

from collections.abc import Sequence

from presence_core.models import TokenRecord
from presence_core.stores.redis_client import RedisClient
from presence_core.stores.redis_keys import Keys

# Every script gets the key prefix and the instance id as ARGV[1] and ARGV[2] (redis_client).
SCRIPTS = {
    # KEYS[1]: token record; ARGV: 3 owner, 4 name, 5 created at.
    "TOKEN_PUT": """
redis.call('HSET', KEYS[1], 'o', ARGV[3], 'n', ARGV[4], 'c', ARGV[5])
return 1
""",
    # Claims a name in the owner's index when it still points where the caller saw it ('' = nowhere).
    # KEYS[1]: index; ARGV: 3 name, 4 new token hash, 5 expected current hash.
    "TOKEN_CLAIM": """
local current = redis.call('HGET', KEYS[1], ARGV[3])
if (current or '') ~= ARGV[5] then return 0 end
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
return 1
""",
    # KEYS[1]: token record. Returns 1 when there was one.
    "TOKEN_DROP": """
return redis.call('DEL', KEYS[1])
""",
    # KEYS[1]: index; ARGV: 3 name.
    "TOKEN_UNCLAIM": """
return redis.call('HDEL', KEYS[1], ARGV[3])
""",
    # KEYS[1]: token record; ARGV: 3 time of use. A revoked (deleted) token is not brought back.
    "TOKEN_TOUCH": """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'u', ARGV[3]) end
return 1
""",
}
WRITE_SCRIPTS = frozenset({"TOKEN_PUT", "TOKEN_CLAIM", "TOKEN_DROP", "TOKEN_UNCLAIM"})


def _decode_token(token_hash: str, fields: dict[bytes, bytes]) -> TokenRecord:
    used = fields.get(b"u")
    return TokenRecord(token_hash, fields[b"o"].decode(), fields[b"n"].decode(), int(fields[b"c"]),
                       int(used) if used is not None else None)


class Tokens:
    """Token operations of the store contract."""

    def __init__(self, redis: RedisClient, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def _record(self, token_hash: str) -> str:
        return self.keys.of("tk", token_hash)

    def _index(self, owner: str) -> str:
        return self.keys.of("ti", owner)

    async def _claim(self, owner: str, name: str, token_hash: str, expected: str) -> bool:
        return bool(await self.redis.eval("TOKEN_CLAIM", [self._index(owner)], name, token_hash, expected))

    async def add(self, token: TokenRecord) -> bool:
        record = self._record(token.hash)
        await self.redis.eval("TOKEN_PUT", [record], token.owner, token.name, token.created_at)
        claimed = await self._claim(token.owner, token.name, token.hash, "")
        if not claimed:
            current = await self.redis.io(self.redis.raw.hget(self._index(token.owner), token.name))
            stale = current is not None and not await self.redis.io(
                self.redis.raw.exists(self._record(current.decode())))
            claimed = stale and await self._claim(token.owner, token.name, token.hash, current.decode())
        if not claimed:
            await self.redis.eval("TOKEN_DROP", [record])
        return claimed

    async def find(self, token_hash: str) -> TokenRecord | None:
        fields = await self.redis.io(self.redis.raw.hgetall(self._record(token_hash)))
        return _decode_token(token_hash, fields) if fields else None

    async def _hashes(self, owner_ids: Sequence[str]) -> list[str]:
        values = await self.redis.pipeline([["HVALS", self._index(o)] for o in owner_ids]) if owner_ids else []
        return [h.decode() for found in values for h in found]

    async def of(self, owner_ids: Sequence[str]) -> list[TokenRecord]:
        hashes = await self._hashes(owner_ids)
        records = await self.redis.pipeline([["HGETALL", self._record(h)] for h in hashes]) if hashes else []
        owners = set(owner_ids)
        return [t for t in (_decode_token(h, f) for h, f in zip(hashes, records) if f) if t.owner in owners]

    async def revoke(self, owner_id: str, name: str) -> bool:
        index = self._index(owner_id)
        current = await self.redis.io(self.redis.raw.hget(index, name))
        if current is None:
            return False
        deleted = await self.redis.eval("TOKEN_DROP", [self._record(current.decode())])
        await self.redis.eval("TOKEN_UNCLAIM", [index], name)
        return bool(deleted)

    async def touch(self, token_hash: str, at: int) -> None:
        await self.redis.eval("TOKEN_TOUCH", [self._record(token_hash)], at)

    async def forget(self, accounts: Sequence[str]) -> None:
        """Every token of these accounts, then their indexes: interrupted, it can run again (``redis_journal``)."""
        if hashes := await self._hashes(accounts):
            await self.redis.pipeline([["DEL", self._record(h)] for h in hashes])
        await self.redis.pipeline([["DEL", self._index(a)] for a in accounts])
