"""The token cache: only what the store knew, for a bounded time, dropped at once by a revocation."""

from __future__ import annotations

from presence_core.models import TokenRecord
from presence_core.token_cache import TokenCache
from tests.support.clock import FakeClock


def token(n: int) -> TokenRecord:
    return TokenRecord(f"hash{n}", "telegram:1", f"t{n}", 0)


def test_an_entry_lives_ttl_after_it_was_read() -> None:
    clock = FakeClock()
    cache = TokenCache(clock, ttl_ms=1_000)
    cache.put(token(1), cache.epoch)
    clock.advance(999)
    assert cache.get("hash1") == token(1)
    clock.advance(1)
    assert cache.get("hash1") is None and len(cache) == 0


def test_a_read_overtaken_by_a_revocation_is_not_kept() -> None:
    cache = TokenCache(FakeClock())
    epoch = cache.epoch  # the store is asked now
    cache.drop(["hash1"])  # the revocation is heard before its answer
    cache.put(token(1), epoch)
    assert cache.get("hash1") is None
    cache.put(token(1), cache.epoch)
    cache.drop(["hash1"])
    assert cache.get("hash1") is None


def test_the_oldest_entries_go_first_beyond_the_bound() -> None:
    clock = FakeClock()
    cache = TokenCache(clock, max_entries=2)
    for n in range(3):
        cache.put(token(n), cache.epoch)
        clock.advance(1)
    assert len(cache) == 2 and cache.get("hash0") is None and cache.get("hash2") == token(2)


def test_last_use_follows_what_was_written() -> None:
    cache = TokenCache(FakeClock())
    cache.put(token(1), cache.epoch)
    cache.used("hash1", 77)
    cache.used("unknown", 78)
    assert cache.get("hash1") == TokenRecord("hash1", "telegram:1", "t1", 0, 77) and len(cache) == 1
