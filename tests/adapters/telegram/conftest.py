"""Fixtures for the Telegram adapter: a fake Bot API on 127.0.0.1 and clients of it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fake_bot_api import TOKEN, FakeBotApi
from harness import Telegram, polling_settings, running
from telegram import Bot
from telegram_updates import Messages

from presence_bot.app import PresenceBot
from presence_core import create_presence_service
from presence_core.service import PresenceService
from tests.support.clock import FakeClock


@pytest.fixture
async def api(clock: FakeClock) -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi(now_ms=clock)
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def tg_bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    """A plain python-telegram-bot Bot pointed at the fake server, already initialized."""
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        yield bot


@pytest.fixture
async def presence(clock: FakeClock) -> AsyncIterator[PresenceService]:
    async with create_presence_service(clock=clock) as service:
        yield service


@pytest.fixture
def messages(api: FakeBotApi) -> Messages:
    """Updates dated by Telegram's clock (the test clock unless a test skews it)."""
    return Messages(api.telegram_ms)


@pytest.fixture
async def telegram(api: FakeBotApi, presence: PresenceService) -> AsyncIterator[Telegram]:
    """presence-bot's Telegram side, long polling the fake Bot API."""
    presence_bot = PresenceBot(presence)
    async with running(api, polling_settings(api), presence_bot) as telegram:
        yield telegram
    await presence_bot.close()
