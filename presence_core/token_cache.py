"""Live API tokens this process has looked up recently, so that a heartbeat needs no store call to know
its token (SPEC section 11).

Only tokens the store knew are kept, never a miss (a token made a moment ago in another process works
at once, and made-up tokens cannot fill the cache). A revoked or forgotten token is dropped by the
``TokensRevoked`` event, which every process sharing the store hears; an entry also expires
``ttl_ms`` after it was read, which bounds how long a process that missed the event (a store that
announces nothing to other processes, such as SQLite opened by two processes) keeps accepting it.
A read that a revocation overtook is not kept: ``epoch`` counts the revocations heard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from presence_core.models import TokenRecord

# Heartbeats come every 30 s: an entry must outlive one interval to be of use to the next heartbeat.
TTL_MS = 60_000
MAX_ENTRIES = 100_000


class TokenCache:
    """Token hash -> (record, expiry in epoch ms), oldest first; at most ``max_entries``."""

    def __init__(self, clock: Callable[[], int], ttl_ms: int = TTL_MS, max_entries: int = MAX_ENTRIES) -> None:
        self._clock = clock
        self._ttl_ms = ttl_ms
        self._max_entries = max_entries
        self._entries: dict[str, tuple[TokenRecord, int]] = {}
        self.epoch = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token_hash: str) -> TokenRecord | None:
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        if entry[1] <= self._clock():
            del self._entries[token_hash]
            return None
        return entry[0]

    def put(self, token: TokenRecord, epoch: int) -> None:
        """Keep ``token``, read from the store when ``self.epoch`` was ``epoch`` (not if a revocation came since)."""
        if epoch != self.epoch:
            return
        now = self._clock()
        self._entries.pop(token.hash, None)
        self._entries[token.hash] = (token, now + self._ttl_ms)
        # Oldest first, and the oldest read expires first: drop from the front what expired or is too many.
        while self._entries:
            oldest = next(iter(self._entries))
            if self._entries[oldest][1] > now and len(self._entries) <= self._max_entries:
                break
            del self._entries[oldest]

    def used(self, token_hash: str, at: int) -> None:
        """The token's last use, as just written to the store."""
        entry = self._entries.get(token_hash)
        if entry is not None:
            self._entries[token_hash] = (replace(entry[0], last_used=at), entry[1])

    def drop(self, token_hashes: Iterable[str]) -> None:
        """These tokens no longer work."""
        self.epoch += 1
        for token_hash in token_hashes:
            self._entries.pop(token_hash, None)
