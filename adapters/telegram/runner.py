"""Running the Telegram side of ``presence-bot``: polling or webhook, on the caller's event loop."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from presence_adapters.telegram.clock import clock_requests
from presence_adapters.telegram.plugin import ALLOWED_UPDATES, install, setup_commands
from presence_bot.app import PresenceBot
from presence_bot.platform_clock import PlatformClock
from presence_bot.settings import TelegramSettings
from presence_core.errors import InvalidArgumentError

log = logging.getLogger(__name__)
# Network errors while registering for updates (deleteWebhook / setWebhook) are retried this often.
BOOTSTRAP_RETRIES = 5
MAX_START_DELAY_S = 60.0
TOKEN_LOGGERS = {"httpx": logging.WARNING, "telegram.Bot": logging.INFO, "telegram.ext.ExtBot": logging.INFO}


def build_application(settings: TelegramSettings,
                      clock: PlatformClock | None = None) -> Application[Any, Any, Any, Any, Any, Any]:
    """The Application for ``settings``; with ``clock``, every Bot API response samples Telegram's clock."""
    if settings.token is None:
        raise ValueError("telegram.token is not set")
    builder = (ApplicationBuilder()
               .token(settings.token.get_secret_value())
               .base_url(settings.base_url)
               .base_file_url(settings.base_file_url))
    if clock is not None:
        request, updates_request = clock_requests(clock)
        builder = builder.request(request).get_updates_request(updates_request)
    return builder.build()


async def serve(settings: TelegramSettings, presence_bot: PresenceBot) -> None:
    """Run the bot until cancelled, then stop it cleanly; ``presence_bot`` stays the caller's.

    Uses the running event loop (unlike ``Application.run_polling``), so Discord and Telegram
    can share one loop and one presence service. A token Telegram rejects raises
    ``InvalidArgumentError``, and so does webhook mode without a secret token (settings built
    with ``TelegramSettings(...)`` already refuse that); an unreachable Telegram at start-up is
    waited for.
    """
    _quiet_token_loggers()
    if settings.webhook_url and settings.secret_token is None:
        raise InvalidArgumentError("telegram.secret_token is required in webhook mode: without it anyone who finds "
                                   "the URL can send the bot forged messages")
    clock = PlatformClock(presence_bot.service.clock)
    application = build_application(settings, clock)
    install(application, presence_bot.service, bot=presence_bot, clock=clock)
    application.add_error_handler(_log_error)
    updater = application.updater
    assert updater is not None  # ApplicationBuilder always builds one unless told not to
    try:
        await _initialize(application)
        await setup_commands(application.bot)
        await application.start()
        if settings.webhook_url:
            assert settings.secret_token is not None  # checked above, before anything started
            await updater.start_webhook(
                listen=settings.webhook_listen, port=settings.webhook_port,
                url_path=settings.webhook_path or urlsplit(settings.webhook_url).path.lstrip("/"),
                webhook_url=settings.webhook_url, allowed_updates=ALLOWED_UPDATES,
                secret_token=settings.secret_token.get_secret_value(),
                bootstrap_retries=BOOTSTRAP_RETRIES,
            )
            log.info("Telegram webhook listening on %s:%s", settings.webhook_listen, settings.webhook_port)
        else:
            await updater.start_polling(allowed_updates=ALLOWED_UPDATES, error_callback=_log_polling_error,
                                        bootstrap_retries=BOOTSTRAP_RETRIES)
            log.info("Telegram long polling started as @%s", application.bot.username)
        await asyncio.Event().wait()
    finally:
        if updater.running:
            await updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()


def _quiet_token_loggers() -> None:
    """Bot API URLs contain the token: httpx logs each one at INFO, python-telegram-bot at DEBUG."""
    for name, level in TOKEN_LOGGERS.items():
        logger = logging.getLogger(name)
        logger.setLevel(max(level, logger.getEffectiveLevel()))


async def _initialize(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Connect (getMe), waiting out network trouble; a rejected token is a settings error."""
    delay = 1.0
    while True:
        try:
            await application.initialize()
            return
        except InvalidToken:
            # python-telegram-bot's own message quotes the token, which must never reach a log.
            raise InvalidArgumentError("Telegram rejected telegram.token; get a valid one from @BotFather") from None
        except (NetworkError, RetryAfter) as error:
            log.warning("Telegram is not reachable (%s); trying again in %.0f s", error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_START_DELAY_S)


def _log_polling_error(error: TelegramError) -> None:
    """One line per failed getUpdates; the updater retries by itself."""
    log.warning("Telegram polling failed, retrying: %s", error)


async def _log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("Telegram update %s failed", getattr(update, "update_id", None), exc_info=context.error)
