"""Changes that span several slots (link, unlink, forget) survive a crash at any step: a journal.

Before its first step, or with the compare-and-set that decides it, such a change writes an entry in
the journal hash of the deciding person's tag (``P j:{S}``, field ``<kind>:<id>``): what the steps
need to run again. Then its steps run in order, each in one slot; a step either records itself in
the entry in the same script (a step in the entry's own slot, ``redis_lua_links``) or can be run
any number of times with the same outcome, and is recorded after it (``mark``). The last step done
deletes the entry.

Ownership: an entry belongs to the process that wrote it (its instance id, ``o``) for a lease
(``l``, renewed by every step). Every connection of a store carries that id as its client name, so
another process tells a dead owner from a live one by ``CLIENT LIST``. The next start of any
process, and every housekeeping of the sweep (``RedisStore.housekeep``), take over the entries whose
owner holds no connection or whose lease ran out (``JOURNAL_CLAIM``: one process wins) and run their
remaining steps; an owner that lost its entry stops at its next step.

A step may ask for a pause before the next one (``forget`` leaves the events that announce it
readable for a while before erasing them): the owner then returns and finishes in the background;
``settle`` (and closing the store) ends the pauses at once, and recovery never waits for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from presence_core.errors import StoreUnavailableError
from presence_core.stores.redis_client import RedisClient
from presence_core.stores.redis_keys import Keys, all_tags

log = logging.getLogger(__name__)

LEASE_MS = 30_000  # an owner silent for this long (no step recorded) loses its entry to any process
CLIENT_NAME = "presence:{instance}"  # the client name of every connection of a store


@dataclass
class Entry:
    """One journal entry: ``data`` as stored (``k`` kind, ``s`` steps done, ``o`` owner, …)."""

    tag: str
    field: str
    data: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.data["k"])


class SupersededError(Exception):
    """The entry is gone (finished) or another process took it over: this one stops."""


# A step: does its work, updates ``entry.data`` from a step script's reply; returns seconds to pause
# before the next step (None: none).
Step = Callable[[Entry], Awaitable[float | None]]


class Journal:
    """Runs journal entries of the kinds in ``steps`` (kind -> its steps in order)."""

    def __init__(self, redis: RedisClient, keys: Keys, instance: str, steps: Mapping[str, Sequence[Step]]) -> None:
        self.redis = redis
        self.keys = keys
        self.instance = instance
        self.steps = steps
        self._active: set[tuple[str, str]] = set()  # entries a coroutine of this process runs or will resume
        self._paused: dict[tuple[str, str], tuple[asyncio.Event, asyncio.Task[None]]] = {}  # -> (hurry, resume)

    # writing ---------------------------------------------------------------------------------------

    def new(self, tag: str, field: str, data: dict[str, Any]) -> Entry:
        """An entry as the scripts write it (``data`` with its lease in ``l``): owned by this process, no step done."""
        return Entry(tag, field, {**data, "o": self.instance, "s": 0, "l": LEASE_MS})

    async def begin(self, entry: Entry) -> Entry | None:
        """Writes ``entry`` (from ``new``); when one of that field is still there, returns it instead."""
        found = await self.redis.eval("JOURNAL_BEGIN", [self.keys.journal(entry.tag)], entry.field,
                                      json.dumps(entry.data, ensure_ascii=False))
        return None if found is None else Entry(entry.tag, entry.field, json.loads(found))

    async def step(self, entry: Entry, name: str, keys: Sequence[str], *args: object) -> None:
        """A step script in the entry's slot (``redis_lua_links``): its work and its record at once."""
        step = entry.data["s"] + 1
        found = await self.redis.eval(name, [self.keys.journal(entry.tag), *keys], entry.field, step, LEASE_MS, *args)
        self._update(entry, found)

    async def mark(self, entry: Entry, step: int, lease_ms: int) -> None:
        """Step ``step`` is done; raises ``SupersededError`` when the entry is no longer this process's."""
        found = await self.redis.eval("JOURNAL_MARK", [self.keys.journal(entry.tag)], entry.field, step, lease_ms)
        self._update(entry, found)

    @staticmethod
    def _update(entry: Entry, found: bytes | None) -> None:
        if found is None:
            raise SupersededError(entry.field)
        entry.data = json.loads(found)

    # running ---------------------------------------------------------------------------------------

    async def run(self, entry: Entry, *, hurry: bool = False) -> None:
        """Runs the steps not done yet, then deletes the entry. A pause a step asks for is waited for in
        the background (``hurry``: not at all). Raises what a step raised (the entry stays for recovery)."""
        key = (entry.tag, entry.field)
        self._active.add(key)
        resumed_later = False
        try:
            steps = self.steps[entry.kind]
            while entry.data["s"] < len(steps):
                number = entry.data["s"] + 1
                pause = await steps[number - 1](entry)
                last = number == len(steps)
                await self.mark(entry, number, LEASE_MS + int((pause or 0) * 1000))
                if pause and not last and not hurry:
                    self._resume_later(entry, pause)
                    resumed_later = True
                    return
            await self.redis.pipeline([["HDEL", self.keys.journal(entry.tag), entry.field]])
        except SupersededError:
            return
        finally:
            if not resumed_later:
                self._active.discard(key)

    def _resume_later(self, entry: Entry, pause: float) -> None:
        key, hurry = (entry.tag, entry.field), asyncio.Event()
        task = asyncio.create_task(self._resume(entry, pause, hurry))
        self._paused[key] = (hurry, task)
        task.add_done_callback(lambda _: self._paused.pop(key, None))

    async def _resume(self, entry: Entry, pause: float, hurry: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(pause):
                await hurry.wait()
        try:
            await self.run(entry, hurry=True)
        except StoreUnavailableError as error:
            log.warning("presence: a %s in Redis is left for the next sweep to finish: %s", _NAMES[entry.kind], error)
        except Exception:
            log.exception("presence: finishing a %s in Redis failed; the next sweep tries again", _NAMES[entry.kind])
        finally:
            self._active.discard((entry.tag, entry.field))

    async def settle(self) -> None:
        """Ends every pause now: the entries this process was waiting to finish are finished."""
        while self._paused:
            for key in list(self._paused):
                await self._end_pause(key)

    async def _end_pause(self, key: tuple[str, str]) -> None:
        if (paused := self._paused.get(key)) is not None:
            paused[0].set()
            await asyncio.gather(paused[1], return_exceptions=True)

    # recovery --------------------------------------------------------------------------------------

    async def recover(self) -> int:
        """Finishes the entries nobody is finishing: this process's own left by a failure, and those whose
        owner holds no connection to Redis or whose lease ran out; returns how many it finished."""
        owners = _Owners(self)
        finished = 0
        for entry in await self.pending():
            finished += await self.finish(entry, owners)
        return finished

    async def finish(self, entry: Entry, owners: _Owners | None = None) -> bool:
        """Runs a stored entry to its end unless another process is doing so (then False): this process's
        own unless it runs already, another's once taken over (its owner gone, or its lease run out)."""
        key = (entry.tag, entry.field)
        if key in self._paused:  # this process's own, pausing: finished now
            await self._end_pause(key)
            return True
        if key in self._active:
            return False
        owner = str(entry.data.get("o"))
        if owner != self.instance:
            gone = await (owners or _Owners(self)).gone(owner)
            claimed = await self.redis.eval("JOURNAL_CLAIM", [self.keys.journal(entry.tag)], entry.field, owner,
                                            "1" if gone else "0", LEASE_MS)
            if claimed is None:
                return False
            entry.data = json.loads(claimed)
        await self.run(entry, hurry=True)
        return True

    async def pending(self) -> list[Entry]:
        """Every entry in the journal now."""
        if not self.redis.cluster:
            found = [(tag.decode(), flat) for tag, flat in await self.redis.eval("JOURNALS", [])]
        else:
            tags = all_tags()
            hashes = await self.redis.pipeline([["HGETALL", self.keys.journal(t)] for t in tags])
            found = [(t, [x for pair in h.items() for x in pair]) for t, h in zip(tags, hashes) if h]
        return [Entry(tag, field.decode(), json.loads(value))
                for tag, flat in found for field, value in zip(flat[::2], flat[1::2])]

    async def live_instances(self) -> set[str] | None:
        """The instance ids named by the clients connected to any node now (None when Redis will not say)."""
        raw = self.redis.raw
        try:
            if self.redis.cluster:
                replies = (await self.redis.io(raw.client_list(target_nodes=raw.get_primaries()))).values()
            else:
                replies = [await self.redis.io(raw.client_list())]
        except StoreUnavailableError as error:
            log.warning("presence: Redis does not list its clients (%s): a journal entry is taken over only "
                        "once its lease runs out", error)
            return None
        prefix = CLIENT_NAME.format(instance="")
        return {c["name"][len(prefix):] for clients in replies for c in clients
                if c.get("name", "").startswith(prefix)}


class _Owners:
    """Whether the owner of an entry is gone, Redis asked once for all the entries of one recovery."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        self._live: set[str] | None = None
        self._asked = False

    async def gone(self, owner: str) -> bool:
        if not self._asked:
            self._live, self._asked = await self._journal.live_instances(), True
        return self._live is not None and owner not in self._live


_NAMES = {"f": "forget", "m": "link", "s": "unlink"}
