"""Membership changes an adapter saw, and what they do to the core's memberships (SPEC section 10).

Adapters turn each platform update either into a Session (someone acted) or into one of these:
people who left (or were removed or banned), a channel that changed its id, a place the bot is no
longer in. Applying them goes through the core's membership operations, the one notion of
"membership ended" that ``who``, visibility and the HTTP rooms all read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from presence_bot.places import Places
from presence_core import PresenceService


@dataclass(frozen=True, slots=True)
class Left:
    """Accounts that left a place, or were removed or banned from it.

    ``place`` tells whether a channel id belongs to the place (a Telegram chat with its forum
    topics, a Discord server with its channels and threads); every membership these accounts
    have in such a channel ends.
    """

    user_ids: tuple[str, ...]
    place: Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class Moved:
    """A channel changed its id (a Telegram group upgraded to a supergroup): its people move along."""

    old_id: str
    new_id: str


@dataclass(frozen=True, slots=True)
class Dropped:
    """The bot is no longer in a place: the channels given, and with ``guild_id`` every channel the
    bot's sessions placed in that guild, list nobody any more."""

    channel_ids: tuple[str, ...]
    guild_id: str | None = None


MembershipChange = Left | Moved | Dropped


async def apply(service: PresenceService, places: Places, change: MembershipChange) -> None:
    """Carry out ``change``; raises what the service raises (StoreUnavailableError …)."""
    if isinstance(change, Moved):
        await service.move_channel(change.old_id, change.new_id)
        places.forget([change.old_id])
    elif isinstance(change, Dropped):
        channels = dict.fromkeys([*change.channel_ids,
                                  *(places.channels_of(change.guild_id) if change.guild_id else [])])
        for channel_id in channels:
            await service.drop_channel(channel_id)
        places.forget(list(channels))
    else:
        for account in change.user_ids:
            for membership in await service.memberships(account):
                if membership.account_id == account and change.place(membership.channel_id):
                    await service.end_membership(membership.channel_id, [account])
