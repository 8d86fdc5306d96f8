"""API tokens in the Redis store, as a mixin of ``RedisStore`` (keys, scripts and I/O come from it).

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

from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from presence_core.models import TokenRecord

T = TypeVar("T")

# Every script gets the key prefix as ARGV[1] (RedisStore._eval).
# KEYS[1]: token record; ARGV: prefix, owner, name, created at.
PUT = """
redis.call('HSET', KEYS[1], 'o', ARGV[2], 'n', ARGV[3], 'c', ARGV[4])
return 1
"""
# Claims a name in the owner's index when it still points where the caller saw it ('' = nowhere).
# KEYS[1]: index; ARGV: prefix, name, new token hash, expected current hash.
CLAIM = """
local current = redis.call('HGET', KEYS[1], ARGV[2])
if (current or '') ~= ARGV[4] then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
return 1
"""
# KEYS[1]: token record; ARGV: prefix. Returns 1 when there was one.
DROP = """
return redis.call('DEL', KEYS[1])
"""
# KEYS[1]: index; ARGV: prefix, name.
UNCLAIM = """
return redis.call('HDEL', KEYS[1], ARGV[2])
"""
# KEYS[1]: token record; ARGV: prefix, time of use. A revoked (deleted) token is not brought back.
TOUCH = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'u', ARGV[2]) end
return 1
"""
# The scripts above; the store knows each as TOKEN_<name>, and waits for replicas after the writes.
SCRIPT_NAMES = ("PUT", "CLAIM", "DROP", "UNCLAIM", "TOUCH")
WRITE_SCRIPTS = frozenset({"TOKEN_PUT", "TOKEN_CLAIM", "TOKEN_DROP", "TOKEN_UNCLAIM"})


def _decode_token(token_hash: str, fields: dict[bytes, bytes]) -> TokenRecord:
    used = fields.get(b"u")
    return TokenRecord(token_hash, fields[b"o"].decode(), fields[b"n"].decode(), int(fields[b"c"]),
                       int(used) if used is not None else None)


class RedisTokens:
    """Token operations of the store contract; expects ``client``, ``_key``, ``_eval`` and ``_io`` from RedisStore."""

    client: Any

    if TYPE_CHECKING:
        def _key(self, kind: str, id_: str) -> str: ...

        async def _eval(self, name: str, keys: Sequence[str], *args: object) -> Any: ...

        async def _io(self, call: Awaitable[T]) -> T: ...

    async def _claim(self, owner: str, name: str, token_hash: str, expected: str) -> bool:
        return bool(await self._eval("TOKEN_CLAIM", [self._key("ti", owner)], name, token_hash, expected))

    async def add_token(self, token: TokenRecord) -> bool:
        record = self._key("tk", token.hash)
        await self._eval("TOKEN_PUT", [record], token.owner, token.name, token.created_at)
        claimed = await self._claim(token.owner, token.name, token.hash, "")
        if not claimed:
            current = await self._io(self.client.hget(self._key("ti", token.owner), token.name))
            stale = current is not None and not await self._io(self.client.exists(self._key("tk", current.decode())))
            claimed = stale and await self._claim(token.owner, token.name, token.hash, current.decode())
        if not claimed:
            await self._eval("TOKEN_DROP", [record])
        return claimed

    async def find_token(self, token_hash: str) -> TokenRecord | None:
        fields = await self._io(self.client.hgetall(self._key("tk", token_hash)))
        return _decode_token(token_hash, fields) if fields else None

    async def tokens(self, owner_ids: Sequence[str]) -> list[TokenRecord]:
        pipe = self.client.pipeline(transaction=False)
        for owner in owner_ids:
            pipe.hvals(self._key("ti", owner))
        hashes = [h.decode() for values in await self._io(pipe.execute()) for h in values]
        pipe = self.client.pipeline(transaction=False)
        for token_hash in hashes:
            pipe.hgetall(self._key("tk", token_hash))
        found = [_decode_token(h, f) for h, f in zip(hashes, await self._io(pipe.execute())) if f]
        owners = set(owner_ids)
        return [t for t in found if t.owner in owners]

    async def revoke_token(self, owner_id: str, name: str) -> bool:
        index = self._key("ti", owner_id)
        current = await self._io(self.client.hget(index, name))
        if current is None:
            return False
        deleted = await self._eval("TOKEN_DROP", [self._key("tk", current.decode())])
        await self._eval("TOKEN_UNCLAIM", [index], name)
        return bool(deleted)

    async def touch_token(self, token_hash: str, at: int) -> None:
        await self._eval("TOKEN_TOUCH", [self._key("tk", token_hash)], at)

    async def _forget_tokens(self, accounts: Sequence[str]) -> None:
        """Every token of these accounts, and their indexes."""
        pipe = self.client.pipeline(transaction=False)
        for account in accounts:
            pipe.hvals(self._key("ti", account))
        hashes = [h.decode() for values in await self._io(pipe.execute()) for h in values]
        pipe = self.client.pipeline(transaction=False)
        for token_hash in hashes:
            pipe.delete(self._key("tk", token_hash))
        for account in accounts:
            pipe.delete(self._key("ti", account))
        await self._io(pipe.execute())
