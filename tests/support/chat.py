"""A chat without a platform: people say things, the bot's replies are collected as plain text."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from presence_bot.app import PresenceBot
from presence_bot.reply import Reply
from presence_bot.session import Session


@dataclass
class Sent:
    session: Session
    reply: Reply

    @property
    def text(self) -> str:
        return self.reply.render("plain")


@dataclass
class RecordingOutbox:
    sent: list[Sent] = field(default_factory=list)

    async def send(self, session: Session, reply: Reply) -> None:
        self.sent.append(Sent(session, reply))


class Chat:
    def __init__(self, presence_bot: PresenceBot) -> None:
        self.bot = presence_bot
        self.outbox = RecordingOutbox()

    async def say(self, user: str, content: str, *, channel: str = "room", direct: bool = False,
                  locale: str | None = None, mentions: dict[str, str] | None = None,
                  reply_to: str | None = None, self_name: str | None = None,
                  channel_name: str | None = None, name: str | None = None, username: str | None = "",
                  names: dict[str, str] | None = None, anonymous: bool = False,
                  message_id: str | None = None, ephemeral: bool = True) -> list[Sent]:
        """What the bot answered to this one message (not to others handled meanwhile); ``name`` is the
        display name (default ``user``), ``username`` the handle "@x" matches (default ``user``; None:
        the account has none); ``anonymous``: sent on behalf of the chat ``user`` (an anonymous admin);
        ``ephemeral``: a private answer is shown to the asker alone right here (as a Discord interaction's;
        False: as a group message's, which goes by direct message and may not arrive)."""
        before = len(self.outbox.sent)
        session = Session(
            platform="test", self_id="bot", user_id=f"test:{user}", user_name=name or user,
            username=user if username == "" else username,
            channel_id=f"test:{channel}", guild_id=None if direct else "guild", is_direct=direct,
            content=content, message_id=message_id, timestamp=self.bot.service.clock(), locale=locale,
            kind="command" if content.startswith("/") else "message", outbox=self.outbox,
            mentions=MappingProxyType(mentions or {}), reply_to_user_id=reply_to, self_name=self_name,
            channel_name=channel_name, names=MappingProxyType(names or {}), anonymous=anonymous,
            ephemeral=ephemeral,
        )
        await self.bot.handle(session)
        return [s for s in self.outbox.sent[before:] if s.session.user_id == session.user_id]

    async def text(self, user: str, content: str, **kw: object) -> str:
        """All the bot answered, as one plain text."""
        return "\n".join(s.text for s in await self.say(user, content, **kw))  # type: ignore[arg-type]
