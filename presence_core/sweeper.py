"""The sweep: applies expiries and idle transitions when they fall due (a person going away after
``away_after_ms`` without activity, a status whose time ran out, a device's room lease ending), and
every ``HOUSEKEEPING_INTERVAL_MS`` has the store remove what expired. Runs every heartbeat interval
in the background of a started ``PresenceService``; any process may run it, the store decides once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from presence_core import rooms, rules
from presence_core.errors import StoreUnavailableError
from presence_core.models import Event
from presence_core.policy import CAS_ATTEMPTS

if TYPE_CHECKING:
    from presence_core.service import PresenceService

log = logging.getLogger(__name__)

HOUSEKEEPING_INTERVAL_MS = 10 * 60_000
SWEEP_ROUNDS = 100


class Sweeper:
    def __init__(self, service: PresenceService) -> None:
        self.service = service
        self._task: asyncio.Task[None] | None = None
        self._next_housekeeping = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        waiting = False  # sweeps are being skipped: said once (the Redis store logs its outages itself)
        while True:
            await asyncio.sleep(self.service.policy.heartbeat_interval_ms / 1000)
            try:
                await self.sweep()
                waiting = False
            except StoreUnavailableError as error:
                if not waiting:
                    log.info("presence sweeps wait for the store: %s", error)
                waiting = True
            except Exception:
                log.exception("presence sweep failed; retrying next interval")

    async def sweep(self, limit: int = 1000) -> list[Event]:
        """Apply every expiry and idle transition that is due, ``limit`` people per store call (up to
        ``SWEEP_ROUNDS`` calls: a backlog, such as a big room's leases, is worked off in one sweep
        instead of one batch per interval); returns the events this process won.

        Every ``HOUSEKEEPING_INTERVAL_MS`` it also has the store remove what expired (memberships,
        codes, counters).
        """
        if self.service.clock() >= self._next_housekeeping:
            self._next_housekeeping = self.service.clock() + HOUSEKEEPING_INTERVAL_MS
            await self.service.store.housekeep(self.service.clock(), self.service.policy)
        transitions: list[Event] = []
        for _ in range(SWEEP_ROUNDS):
            person_ids = await self.service.store.due(self.service.clock(), limit)
            transitions += await self._sweep_batch(person_ids)
            if len(person_ids) < limit:
                break
        return transitions

    async def _sweep_batch(self, person_ids: Sequence[str]) -> list[Event]:
        transitions: list[Event] = []
        records = await self.service.store.load(person_ids)
        for person_id in person_ids:
            record = records.get(person_id)
            for _ in range(CAS_ATTEMPTS):
                if record is None:
                    break
                expected, now = record.version, self.service.clock()
                before = rooms.members(record, now, self.service.policy)
                if record.due is None or record.due > now:
                    break
                events = [*rules.settle(record, now, self.service.policy),
                          *rooms.changes(person_id, before, rooms.members(record, now, self.service.policy), now)]
                if await self.service.store.save(record, expected, events):
                    transitions += events
                    await self.service._emit(events)
                    break
                record = (await self.service.store.load([person_id])).get(person_id)
        return transitions
