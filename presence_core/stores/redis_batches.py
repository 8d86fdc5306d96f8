"""Exactly once on the hot path: a batch written again after an unknown outcome applies once.

When the connection drops after a record script committed, or a Sentinel failover loses its
acknowledgement, the service keeps the batch and writes it again with the same token. Each record
script call sets the token's key in its slot with ``SET NX`` (``P b:{S}<token>``) and applies
nothing when a first attempt finds it set (``redis_lua_record``). A key lives
``redis_lua_record.TOKEN_TTL_MS`` at most: once this process holds the acknowledgement, the next
call to the same slot deletes it, so keys are only kept for writes in flight or unacknowledged.
"""

from __future__ import annotations

from collections.abc import Iterable

from presence_core.stores.redis_keys import Keys

RELEASE_MAX = 64  # acknowledged token keys deleted by one call


class BatchTokens:
    """Token keys per slot: the arguments of each record call, and those to delete once acknowledged."""

    def __init__(self, keys: Keys) -> None:
        self.keys = keys
        self._acknowledged: dict[str, list[str]] = {}  # hash tag -> token keys to delete

    def args(self, tag: str, token: str | None, first: bool) -> tuple[str, ...]:
        """The record script's ARGV 9 onwards for a call to the slot of ``tag``: the token's key ('' = none),
        whether this is the batch's first call there, and acknowledged token keys of that slot."""
        done = self._acknowledged.pop(tag, [])
        if len(done) > RELEASE_MAX:
            self._acknowledged[tag], done = done[RELEASE_MAX:], done[:RELEASE_MAX]
        return (self.keys.batch(tag, token) if token else "", "1" if first else "0", *done)

    def acknowledged(self, tags: Iterable[str], token: str | None) -> None:
        """The batch's writes in these slots are known to have happened: their keys may go."""
        if token:
            for tag in tags:
                self._acknowledged.setdefault(tag, []).append(self.keys.batch(tag, token))
