"""Which guild (Discord server, Telegram group) each channel belongs to, as the bot's sessions said.

Membership changes of a whole place (someone banned from a server, the bot removed from a group)
need its channels, including those the platform no longer lists (archived threads, forum topics).
The store keeps memberships by channel only, so the bot remembers each channel's guild as its
sessions name them: bounded, most recently used kept, for this process's lifetime.
"""

from __future__ import annotations

from collections import OrderedDict

REMEMBER = 100_000


class Places:
    def __init__(self, remember: int = REMEMBER) -> None:
        self._remember = remember
        self._guilds: OrderedDict[str, str] = OrderedDict()

    def seen(self, channel_id: str, guild_id: str | None) -> None:
        if guild_id is None:
            return
        self._guilds[channel_id] = guild_id
        self._guilds.move_to_end(channel_id)
        if len(self._guilds) > self._remember:
            self._guilds.popitem(last=False)

    def guild_of(self, channel_id: str) -> str | None:
        return self._guilds.get(channel_id)

    def channels_of(self, guild_id: str) -> list[str]:
        """Every remembered channel of the guild (a scan: places are dropped rarely)."""
        return [channel for channel, guild in self._guilds.items() if guild == guild_id]

    def forget(self, channel_ids: list[str]) -> None:
        for channel_id in channel_ids:
            self._guilds.pop(channel_id, None)
