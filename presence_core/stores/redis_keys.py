"""Key names of the Redis store, and the hash tag that keeps every key about one id in one slot.

Every id is written verbatim after a hash tag ``{S}`` where ``S = shard(id)`` (first 16 bits of
its SHA-1, mod ``SHARDS``). As ``S`` is a function of the id, ``kind + S + id`` is one-to-one: no
id, whatever it contains, can reach another key. The record script computes the same tag
(``redis_lua.COMMON``). The full layout is in ``docs/redis.md``.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from presence_core.errors import InvalidArgumentError
from presence_core.stores.base import account_digest

SHARDS = 1024  # part of the key format: every process sharing a Redis must agree on it


@lru_cache(maxsize=65536)
def hash_tag(id_: str) -> str:
    """``{S}``: the hash tag of every key about this id (its slot on a cluster), S = shard(id)."""
    return "{%d}" % (int.from_bytes(hashlib.sha1(id_.encode()).digest()[:2], "big") % SHARDS)


def all_tags() -> list[str]:
    """Every hash tag, in shard order (the due index and the event streams have one key each)."""
    return ["{%d}" % shard for shard in range(SHARDS)]


class Keys:
    """Key names under one prefix (``pr:`` by default); see the layout in ``docs/redis.md``."""

    def __init__(self, prefix: str) -> None:
        if "{" in prefix or "}" in prefix:
            raise InvalidArgumentError("the Redis key prefix must not contain '{' or '}' (hash tag syntax)")
        self.prefix = prefix

    def of(self, kind: str, id_: str) -> str:
        return f"{self.prefix}{kind}:{hash_tag(id_)}{id_}"

    def person(self, person_id: str) -> str:
        return self.of("p", person_id)

    def log(self, person_id: str) -> str:
        return self.of("l", person_id)

    def codes_issued(self, account_id: str) -> str:
        return self.of("k", account_id)

    def alias(self, account_id: str) -> str:
        return self.of("a", account_id)

    def channel(self, channel_id: str) -> str:
        return self.of("c", channel_id)

    def code(self, code_hash: str) -> str:
        return self.of("o", code_hash)

    def channel_name(self, channel_id: str) -> str:
        return self.of("cn", channel_id)

    def due(self, tag: str) -> str:
        return f"{self.prefix}d:{tag}"

    def events(self, tag: str) -> str:
        """The event stream of the people (and accounts) of one hash tag."""
        return f"{self.prefix}e:{tag}"

    def journal(self, tag: str) -> str:
        """The journal of link, unlink and forget for the people of one hash tag (``redis_journal``)."""
        return f"{self.prefix}j:{tag}"

    def batch(self, tag: str, token: str) -> str:
        """A batch's token in one slot (``redis_batches``): the batch was applied there."""
        return f"{self.prefix}b:{tag}{token}"

    def marker(self, account_id: str) -> str:
        """The do-not-track marker: in the account's slot, named by its digest (the record script agrees)."""
        return f"{self.prefix}n:{hash_tag(account_id)}{account_digest(account_id)}"

    def hits(self, key: str, window: int) -> str:
        return f"{self.prefix}h:{hash_tag(key)}{window}:{key}"
