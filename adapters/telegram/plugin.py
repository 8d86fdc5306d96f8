"""Adding presence to an existing python-telegram-bot Application, next to the operator's handlers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from presence_adapters.telegram.outbox import TelegramOutbox
from presence_adapters.telegram.sessions import session_from_update
from presence_bot import i18n
from presence_bot.app import PresenceBot
from presence_bot.catalog import COMMAND
from presence_bot.options import BotOptions
from presence_core.service import PresenceService

log = logging.getLogger(__name__)

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
            group: int = -100) -> PresenceBot:
    """Record every message and answer /presence in ``application``; returns the PresenceBot.

    One handler in the early ``group`` sees each new or edited message (commands too) and hands
    it to the PresenceBot, which records the activity and answers /presence. It never stops
    propagation, so the operator's handlers in later groups still see every update, and it
    runs non-blocking, so a slow reply (flood control) never holds up the operator's handlers.
    ``options`` is used only when no ``bot`` is given. The command menu is set in ``post_init``
    (chained with the operator's own); applications started by hand call
    :func:`setup_commands` themselves.
    """
    presence_bot = bot if bot is not None else PresenceBot(presence, options or BotOptions())
    outbox = TelegramOutbox(application.bot, presence_bot.options.default_locale)
    presence_bot.watches.register("telegram", outbox.send_direct)

    async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        session = session_from_update(update, context.bot, outbox)
        if session is not None:
            await presence_bot.handle(session)

    application.add_handler(MessageHandler(filters.UpdateType.MESSAGES, on_message, block=False), group=group)
    application.post_init = _chain_setup_commands(application.post_init)
    return presence_bot


PostInit = Callable[[Application[Any, Any, Any, Any, Any, Any]], Awaitable[None]]


def _chain_setup_commands(previous: PostInit | None) -> PostInit:
    async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await setup_commands(application.bot)
        if previous is not None:
            await previous(application)

    return post_init
