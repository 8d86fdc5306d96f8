"""Adding presence to an existing python-telegram-bot Application, next to the operator's handlers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler

from presence_adapters.telegram.membership import membership_change
from presence_adapters.telegram.outbox import TelegramOutbox
from presence_adapters.telegram.sessions import session_from_update
from presence_adapters.telegram.topics import Topics
from presence_bot import i18n
from presence_bot.app import PresenceBot
from presence_bot.catalog import COMMAND
from presence_bot.options import BotOptions
from presence_bot.platform_clock import PlatformClock
from presence_core.service import PresenceService

log = logging.getLogger(__name__)

# Every update type the plugin reads. Telegram sends chat_member and message_reaction only to a bot
# that asks for them (and is an administrator of the chat); pass these to run_polling/run_webhook.
ALLOWED_UPDATES: tuple[str, ...] = (Update.MESSAGE, Update.EDITED_MESSAGE, Update.CHAT_MEMBER,
                                    Update.MY_CHAT_MEMBER, Update.MESSAGE_REACTION)

# Telegram picks the menu by the user's language_code; users without a match get the default.
MENU_LANGUAGES: tuple[tuple[str | None, str], ...] = ((None, "en"), ("zh", "zh-CN"))


async def setup_commands(bot: Bot) -> None:
    """Register the /presence entry of the command menu, in English and Chinese.

    A failure is logged and the bot keeps running: the menu is a convenience, typing the
    command works without it.
    """
    try:
        for language_code, locale in MENU_LANGUAGES:
            command = BotCommand(COMMAND, i18n.text(locale, "help.presence"))
            await bot.set_my_commands([command], language_code=language_code)
    except TelegramError as error:
        log.warning("Telegram command menu not set: %s", error.message)


def install(application: Application[Any, Any, Any, Any, Any, Any], presence: PresenceService, *,
            options: BotOptions | None = None, bot: PresenceBot | None = None,
            group: int = -100, clock: PlatformClock | None = None) -> PresenceBot:
    """Record every message and reaction, follow who leaves, and answer /presence in ``application``.

    One handler in the early ``group`` sees every update: a person's new or edited message
    (commands too) or reaction goes to the PresenceBot, which records the activity and answers
    /presence; someone leaving or being removed, a group migrating, the bot being removed, become
    membership changes. It never stops propagation, so the operator's handlers in later groups
    still see every update, and it runs non-blocking, so a slow reply (flood control) never holds
    up the operator's handlers. ``options`` is used only when no ``bot`` is given; ``clock``
    measures Telegram's clock against the service's (a new one by default). The command menu is
    set in ``post_init`` (chained with the operator's own); applications started by hand call
    :func:`setup_commands` themselves. Ask Telegram for :data:`ALLOWED_UPDATES`.
    """
    presence_bot = bot if bot is not None else PresenceBot(presence, options or BotOptions())
    platform_clock = clock if clock is not None else PlatformClock(presence.clock)
    outbox = TelegramOutbox(application.bot, presence_bot.options.default_locale, platform_clock)
    presence_bot.watches.register("telegram", outbox.send_direct)
    topics = Topics()

    async def on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = membership_change(update, context.bot)
        if change is not None:
            await presence_bot.apply(change)
            return
        session = session_from_update(update, context.bot, outbox, platform_clock, topics)
        if session is not None:
            await presence_bot.handle(session)

    application.add_handler(TypeHandler(Update, on_update, block=False), group=group)
    application.post_init = _chain_setup_commands(application.post_init)
    return presence_bot


PostInit = Callable[[Application[Any, Any, Any, Any, Any, Any]], Awaitable[None]]


def _chain_setup_commands(previous: PostInit | None) -> PostInit:
    async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await setup_commands(application.bot)
        if previous is not None:
            await previous(application)

    return post_init
