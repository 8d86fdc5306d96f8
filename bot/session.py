"""Session: one incoming platform event, built once at the edge by an adapter (SPEC section 2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from presence_bot.reply import Reply

SessionKind = Literal["message", "command", "interaction", "reaction"]


class Outbox(Protocol):
    """How an adapter delivers a reply to the place a session came from (or privately)."""

    async def send(self, session: Session, reply: Reply) -> None: ...


class Prompter(Protocol):
    async def wait(self, session: Session, timeout: float) -> Session | None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    platform: str
    self_id: str
    user_id: str          # composite: "telegram:42"
    user_name: str | None
    # The platform's unique handle (Telegram/Discord username), which "@x" matches; never a display name.
    username: str | None = None
    channel_id: str       # composite: "telegram:-100123" or "telegram:-100123/7" for a forum topic
    guild_id: str | None
    is_direct: bool
    content: str
    message_id: str | None
    timestamp: int        # epoch ms
    locale: str | None
    kind: SessionKind
    outbox: Outbox = field(compare=False, repr=False)
    raw: Any = field(default=None, compare=False, repr=False)
    # The bot's own handle, so "/presence@ThisBot" is ours and "/presence@OtherBot" is not.
    self_name: str | None = None
    # Device this event came through; None means the account itself is the device.
    device_id: str | None = None
    # Mention tokens as typed ("@alice", "<@123>") -> composite user ids, resolved by the adapter.
    mentions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # Author of the message this one replies to, for "/presence" sent as a reply.
    reply_to_user_id: str | None = None
    # Display names the platform gave for the people this event names (mentions, the author replied
    # to), composite user id -> name: shown for people the bot has never seen, instead of an id.
    names: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # Sent on behalf of a chat (a Telegram anonymous admin or channel): nobody's activity, but
    # commands about the channel are answered; ``user_id`` is then the chat's.
    anonymous: bool = False
    # What people call this channel (a group's title, "#general"); None in direct chats or when unknown.
    channel_name: str | None = None
    # A person at this machine's own terminal (the console): never rate-limited. Nothing more: a console
    # channel stands for a group of several people, so its answers are as private as a group's.
    local: bool = False
    # An answer can be shown here to the asker alone (a Discord interaction's ephemeral response).
    ephemeral: bool = False
    prompter: Prompter | None = field(default=None, compare=False, repr=False)

    @property
    def private_guaranteed(self) -> bool:
        """Whether a private answer is sure to reach the asker alone: in a direct chat, or as an ephemeral
        response. Elsewhere (a group message, also a console channel) it goes by direct message, which
        may not arrive (a Telegram user who never started the bot, Discord DMs closed)."""
        return self.is_direct or self.ephemeral

    async def send(self, reply: Reply) -> None:
        await self.outbox.send(self, reply)

    async def prompt(self, timeout: float) -> Session | None:
        """The same person's next message in the same channel, or None after ``timeout`` seconds."""
        if self.prompter is None:
            return None
        return await self.prompter.wait(self, timeout)
