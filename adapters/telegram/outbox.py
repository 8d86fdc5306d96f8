"""Delivering replies to Telegram: HTML chunks, private answers, and Telegram's failure modes.

Activity is recorded before anything is sent, so nothing here can lose it: every failure is
logged once (one line, no traceback for the expected ones) and swallowed.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import enum
import logging
import warnings

from telegram import Bot, LinkPreviewOptions, ReplyParameters
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from presence_adapters.telegram.sessions import parse_channel_key, parse_user_key
from presence_bot import i18n
from presence_bot.platform_clock import PlatformClock
from presence_bot.reply import Reply
from presence_bot.session import Session

log = logging.getLogger(__name__)

ATTEMPTS = 4
# Flood-control waits longer than this are not worth holding a reply for.
MAX_FLOOD_WAIT_S = 30.0
NETWORK_BACKOFF_S = 0.5


class Delivery(enum.Enum):
    SENT = "sent"
    UNREACHABLE = "unreachable"   # blocked, never started, kicked, chat gone
    FAILED = "failed"             # anything else, already logged


def _is_unreachable(error: TelegramError) -> bool:
    """Errors that say this chat cannot receive messages from the bot at all."""
    if isinstance(error, Forbidden):
        return True
    return isinstance(error, BadRequest) and "chat not found" in error.message.lower()


def _retry_after_s(error: RetryAfter) -> float:
    # PTB 22 warns when retry_after is read as an int; both forms mean seconds.
    with warnings.catch_warnings(action="ignore", category=PTBDeprecationWarning):
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


def render_chunks(reply: Reply) -> list[str]:
    """The reply as Telegram HTML messages, each within Telegram's length limit.

    Telegram counts UTF-16 code units, in which an emoji is two; a chunk of half the limit in
    code points always fits, so that is the fallback for emoji-heavy replies.
    """
    limit = MessageLimit.MAX_TEXT_LENGTH
    chunks = reply.render_chunks("telegram_html", limit)
    if any(len(chunk.encode("utf-16-le")) // 2 > limit for chunk in chunks):
        chunks = reply.render_chunks("telegram_html", limit // 2)
    return chunks


class TelegramOutbox:
    """The Outbox for sessions built from Telegram updates (one per bot)."""

    def __init__(self, bot: Bot, default_locale: str = "en", clock: PlatformClock | None = None) -> None:
        self.bot = bot
        self.default_locale = default_locale
        # The date Telegram gives a message the bot just sent is a sample of its clock that is never late.
        self.clock = clock

    async def send(self, session: Session, reply: Reply) -> None:
        chat_id, thread_id = parse_channel_key(session.channel_id)
        reply_to = int(session.message_id) if session.message_id and not session.is_direct else None
        if not reply.private or session.is_direct:
            await self._send_text(chat_id, thread_id, reply, reply_to)
            return
        # Personal answers asked for in a group go to the person's private chat with the bot.
        delivered = await self._send_text(parse_user_key(session.user_id), None, reply, None)
        if delivered is Delivery.FAILED:
            return
        locale = i18n.pick_locale(session.locale, self.default_locale)
        note = "private.sent" if delivered is Delivery.SENT else "private.hint"
        await self._send_text(chat_id, thread_id, i18n.reply(locale, note), reply_to)

    async def send_direct(self, user_id: str, reply: Reply, silent: bool) -> bool:
        """A private message to an account (a watch that fired); ``silent``: no notification sound."""
        return await self._send_text(parse_user_key(user_id), None, reply, None, silent=silent) is Delivery.SENT

    async def _send_text(self, chat_id: int, thread_id: int | None, reply: Reply,
                         reply_to: int | None, *, silent: bool = False) -> Delivery:
        """Every chunk of ``reply`` in order; stops at the first chunk that cannot be sent."""
        for index, chunk in enumerate(render_chunks(reply)):
            if index == 0 and reply.ping and reply.ping.startswith("telegram:"):
                # The one person a reply may notify, by a mention link in front of it.
                chunk = f'<a href="tg://user?id={parse_user_key(reply.ping)}">👋</a> {chunk}'
            # Only the first chunk quotes the command; the rest follow it.
            outcome = await self._send_chunk(chat_id, thread_id, chunk, reply_to if index == 0 else None, silent)
            if outcome is not Delivery.SENT:
                return outcome
        return Delivery.SENT

    async def _send_chunk(self, chat_id: int, thread_id: int | None, text: str,
                          reply_to: int | None, silent: bool = False) -> Delivery:
        """One sendMessage, retried after flood control and network errors."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                sent = await self.bot.send_message(
                    chat_id=chat_id, text=text, parse_mode=ParseMode.HTML, message_thread_id=thread_id,
                    link_preview_options=LinkPreviewOptions(is_disabled=True), disable_notification=silent or None,
                    reply_parameters=(ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
                                      if reply_to is not None else None),
                )
                if self.clock is not None:
                    self.clock.sample(int(sent.date.timestamp() * 1000))
                return Delivery.SENT
            except RetryAfter as error:
                delay = _retry_after_s(error)
                if delay > MAX_FLOOD_WAIT_S or attempt == ATTEMPTS:
                    log.warning("Telegram flood control: dropping a reply to chat %s (retry after %ss)",
                                chat_id, delay)
                    return Delivery.FAILED
            except ChatMigrated as error:
                # A group upgraded to a supergroup has a new id; the message belongs there.
                chat_id, thread_id, delay = error.new_chat_id, None, 0.0
            except TelegramError as error:
                if _is_unreachable(error):
                    log.info("Telegram chat %s is not reachable: %s", chat_id, error.message)
                    return Delivery.UNREACHABLE
                if not isinstance(error, NetworkError) or isinstance(error, BadRequest) or attempt == ATTEMPTS:
                    log.warning("Telegram refused a reply to chat %s: %s", chat_id, error.message)
                    return Delivery.FAILED
                delay = NETWORK_BACKOFF_S * 2 ** (attempt - 1)
            await asyncio.sleep(delay)
        return Delivery.FAILED
