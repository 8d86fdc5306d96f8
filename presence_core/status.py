"""The four presence statuses and the orders they are compared in."""

from __future__ import annotations

from enum import StrEnum

from presence_core.errors import InvalidStatusError


class Status(StrEnum):
    """A presence status; compares equal to its plain string ("online", ...)."""

    ONLINE = "online"
    AWAY = "away"
    DND = "dnd"
    OFFLINE = "offline"

    @classmethod
    def parse(cls, value: str | Status) -> Status:
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise InvalidStatusError(value) from None


# Merging several devices: a device that asks not to be disturbed wins, then the most available.
MERGE_RANK: dict[Status, int] = {Status.DND: 3, Status.ONLINE: 2, Status.AWAY: 1, Status.OFFLINE: 0}

# Listing people ("who"): the most reachable first.
LISTING_RANK: dict[Status, int] = {Status.ONLINE: 0, Status.AWAY: 1, Status.DND: 2, Status.OFFLINE: 3}

# Statuses that activity and the idle timers do not overwrite when chosen by hand: all but online,
# which is the way back to automatic (as Slack, Discord and Teams do it; SPEC section 4).
STICKY: frozenset[Status] = frozenset({Status.AWAY, Status.DND, Status.OFFLINE})
