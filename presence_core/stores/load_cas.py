"""Changing a person's load by compare-and-set: the default ``Store.change_load`` of every backend.

Load, settle at ``now``, apply the change, settle again, save if the version is unchanged; retry
otherwise. Memory and SQLite use it as it is; Redis does the same in one script and comes here
only for a person whose record is due (the script cannot settle one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from presence_core import availability, rules
from presence_core.errors import ConcurrentUpdateError
from presence_core.models import LoadChange, LoadOutcome
from presence_core.policy import Policy

if TYPE_CHECKING:
    from presence_core.stores.base import Store

ATTEMPTS = 32


async def change_load(store: Store, person_id: str, change: LoadChange, now: int, policy: Policy) -> LoadOutcome:
    """See ``Store.change_load``. A refused change writes nothing (what settling found is the sweep's)."""
    for _ in range(ATTEMPTS):
        record = (await store.load([person_id])).get(person_id)
        if record is None:
            return LoadOutcome(None, refused="unknown")
        expected = record.version
        events = rules.settle(record, now, policy)
        refused = availability.apply_load(record, change, now)
        if refused is not None:
            return LoadOutcome(record, refused=refused)
        events += rules.settle(record, now, policy)
        if await store.save(record, expected, events):
            return LoadOutcome(record, tuple(events))
    raise ConcurrentUpdateError(f"the load of {person_id!r} kept changing; try again")
