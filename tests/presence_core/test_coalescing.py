"""Reads asked for together go to the store as one fetch, and never see the store older than when asked."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from presence_core.coalescing import Coalesced


class Source:
    """A fetch that records what it was asked and answers from ``values`` as they are when it runs."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}
        self.asked: list[list[str]] = []
        self.release: asyncio.Event | None = None
        self.failure: Exception | None = None

    async def fetch(self, keys: Sequence[str]) -> dict[str, int]:
        self.asked.append(list(keys))
        if self.release is not None:
            await self.release.wait()
        if self.failure is not None:
            raise self.failure
        return {k: self.values[k] for k in keys if k in self.values}


async def until_fetches(source: Source, count: int) -> None:
    while len(source.asked) < count:
        await asyncio.sleep(0)


async def test_reads_asked_at_the_same_moment_are_one_fetch() -> None:
    source = Source()
    source.values = {"a": 1, "b": 2}
    reads = Coalesced(source.fetch)
    assert await asyncio.gather(reads.get("a"), reads.get("b"), reads.get("a"), reads.get("gone")) == [1, 2, 1, None]
    assert source.asked == [["a", "b", "gone"]]


async def test_a_read_asked_during_a_fetch_waits_for_the_next_one() -> None:
    source = Source()
    source.values, source.release = {"a": 1}, asyncio.Event()
    reads = Coalesced(source.fetch)
    first = asyncio.create_task(reads.get("a"))
    await until_fetches(source, 1)
    source.values["a"] = 2  # written while the first fetch is on its way
    second = asyncio.create_task(reads.get("a"))
    await asyncio.sleep(0)
    assert source.asked == [["a"]]
    source.release.set()
    assert (await first, await second) == (2, 2)
    assert source.asked == [["a"], ["a"]], "the second read is never answered by the fetch it missed"


async def test_fetches_are_bounded_in_size() -> None:
    source = Source()
    reads = Coalesced(source.fetch, max_size=2)
    await asyncio.gather(*(reads.get(k) for k in "abcde"))
    assert source.asked == [["a", "b"], ["c", "d"], ["e"]]


async def test_every_reader_of_a_failed_fetch_gets_its_error_and_the_next_fetch_works() -> None:
    source = Source()
    source.failure = ConnectionError("down")
    reads = Coalesced(source.fetch)
    results = await asyncio.gather(reads.get("a"), reads.get("b"), return_exceptions=True)
    assert [type(r) for r in results] == [ConnectionError, ConnectionError]
    source.failure, source.values = None, {"a": 1}
    assert await reads.get("a") == 1


async def test_a_cancelled_reader_leaves_the_others_their_answer() -> None:
    source = Source()
    source.values, source.release = {"a": 1}, asyncio.Event()
    reads = Coalesced(source.fetch)
    gone, kept = asyncio.create_task(reads.get("a")), asyncio.create_task(reads.get("a"))
    await until_fetches(source, 1)
    gone.cancel()
    source.release.set()
    assert await kept == 1
    with pytest.raises(asyncio.CancelledError):
        await gone
