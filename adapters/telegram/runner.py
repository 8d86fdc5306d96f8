"""Running the Telegram side of ``presence-bot``: polling or webhook, on the caller's event loop."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from adapters.telegram.plugin import install, setup_commands
from bot.app import PresenceBot
from bot.settings import TelegramSettings

log = logging.getLogger(__name__)

# The plugin reads messages only; asking for nothing else keeps webhook and polling traffic small.
ALLOWED_UPDATES = (Update.MESSAGE, Update.EDITED_MESSAGE)


def build_application(settings: TelegramSettings) -> Application[Any, Any, Any, Any, Any, Any]:
    if settings.token is None:
        raise ValueError("telegram.token is not set")
    return (ApplicationBuilder()
            .token(settings.token.get_secret_value())
            .base_url(settings.base_url)
            .base_file_url(settings.base_file_url)
            .build())


async def serve(settings: TelegramSettings, presence_bot: PresenceBot) -> None:
    """Run the bot until cancelled, then stop it cleanly; ``presence_bot`` stays the caller's.

    Uses the running event loop (unlike ``Application.run_polling``), so Discord and Telegram
    can share one loop and one presence service.
    """
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger("httpx").level))
    application = build_application(settings)
    install(application, presence_bot.service, bot=presence_bot)
    application.add_error_handler(_log_error)
    async with application:
        await setup_commands(application.bot)
        await application.start()
        updater = application.updater
        assert updater is not None  # ApplicationBuilder always builds one unless told not to
        try:
            if settings.webhook_url:
                if settings.secret_token is None:
                    log.warning("Telegram webhook without telegram.secret_token: anyone who finds the URL "
                                "can send the bot forged updates")
                await updater.start_webhook(
                    listen=settings.webhook_listen, port=settings.webhook_port,
                    url_path=settings.webhook_path or urlsplit(settings.webhook_url).path.lstrip("/"),
                    webhook_url=settings.webhook_url, allowed_updates=ALLOWED_UPDATES,
                    secret_token=settings.secret_token.get_secret_value() if settings.secret_token else None,
                )
                log.info("Telegram webhook listening on %s:%s", settings.webhook_listen, settings.webhook_port)
            else:
                await updater.start_polling(allowed_updates=ALLOWED_UPDATES, error_callback=_log_polling_error)
                log.info("Telegram long polling started as @%s", application.bot.username)
            await asyncio.Event().wait()
        finally:
            if updater.running:
                await updater.stop()
            await application.stop()


def _log_polling_error(error: TelegramError) -> None:
    """One line per failed getUpdates; the updater retries by itself."""
    log.warning("Telegram polling failed, retrying: %s", error)


async def _log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("Telegram update %s failed", getattr(update, "update_id", None), exc_info=context.error)
