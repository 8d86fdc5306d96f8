"""Fixtures for the Telegram adapter: a fake Bot API on 127.0.0.1 and clients of it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fake_bot_api import TOKEN, FakeBotApi
from telegram import Bot
from telegram_updates import Messages

from presence_core import create_presence_service
from presence_core.service import PresenceService
from tests.support.clock import FakeClock


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi()
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
def messages(clock: FakeClock) -> Messages:
    return Messages(clock)
