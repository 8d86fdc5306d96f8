"""Webhook mode: Telegram's calls are accepted only with the secret token."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import aiohttp
import pytest
from fake_bot_api import TOKEN, FakeBotApi
from harness import running
from telegram_updates import GROUP, Messages, Person

from pydantic import SecretStr

from presence_adapters.telegram import serve
from presence_bot.app import PresenceBot
from presence_bot.settings import TelegramSettings
from presence_core import InvalidArgumentError
from presence_core.service import PresenceService

ALICE = Person(42, "Alice", "alice", "en")
SECRET = "s3cret-Token_1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def post(url: str, update: dict[str, Any], headers: dict[str, str]) -> int:
    """POST an update like Telegram does, once the webhook server is listening."""
    async with aiohttp.ClientSession() as http, asyncio.timeout(5):
        while True:
            try:
                async with http.post(url, json=update, headers=headers) as response:
                    return response.status
            except aiohttp.ClientConnectorError:
                await asyncio.sleep(0.05)


async def test_the_webhook_rejects_requests_without_the_secret_token(
        api: FakeBotApi, presence: PresenceService, messages: Messages) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    settings = TelegramSettings(token=TOKEN, base_url=api.base_url, webhook_url=url,
                                webhook_listen="127.0.0.1", webhook_port=port, secret_token=SECRET)
    presence_bot = PresenceBot(presence)

    async with running(api, settings, presence_bot, ready="setWebhook") as telegram:
        [registered] = api.called("setWebhook")
        assert (registered["url"], registered["secret_token"]) == (url, SECRET)
        update = {"update_id": 1, **messages.message(ALICE, GROUP, "hello")}

        assert await post(url, update, headers={}) == 403
        assert await post(url, update, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}) == 403
        assert await post(url, update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) == 200

        await telegram.handled.reach(1)
    await presence_bot.close()

    assert len(await presence.get_activity("telegram:42")) == 1
    assert api.called("getUpdates") == []


VICTIM = Person(2001, "Victim", "victim", "en")


async def test_forged_updates_without_the_secret_cannot_erase_anyone(
        api: FakeBotApi, presence: PresenceService, messages: Messages) -> None:
    """Issue 17: a forged ``/presence forget`` + ``yes`` as user 2001, posted straight to the webhook."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    settings = TelegramSettings(token=TOKEN, base_url=api.base_url, webhook_url=url,
                                webhook_listen="127.0.0.1", webhook_port=port, secret_token=SECRET)
    presence_bot = PresenceBot(presence)
    async with running(api, settings, presence_bot, ready="setWebhook") as telegram:
        real = {"update_id": 1, **messages.message(VICTIM, GROUP, "/presence status keep me")}
        assert await post(url, real, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) == 200
        await telegram.handled.reach(1)
        for update_id, text in ((2, "/presence forget"), (3, "yes")):
            forged = {"update_id": update_id, **messages.message(VICTIM, GROUP, text)}
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess"},
                            {"X-Telegram-Bot-Api-Secret-Token": SECRET.upper()}):
                assert await post(url, forged, headers=headers) == 403
    await presence_bot.close()
    victim = await presence.get_status("telegram:2001", viewer_id="telegram:2001")
    assert victim.custom_status == "keep me"
    assert [e.type for e in await presence.get_activity("telegram:2001")] == ["command"]


async def test_webhook_mode_without_a_secret_does_not_start(api: FakeBotApi, presence: PresenceService) -> None:
    """Settings built in code refuse it; settings that skipped validation are refused by ``serve`` itself."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    with pytest.raises(ValueError, match="secret_token is required when webhook_url is set"):
        TelegramSettings(token=TOKEN, base_url=api.base_url, webhook_url=url, webhook_port=port)
    unchecked = TelegramSettings.model_construct(token=SecretStr(TOKEN), base_url=api.base_url, webhook_url=url,
                                                webhook_listen="127.0.0.1", webhook_port=port, webhook_path="",
                                                secret_token=None, base_file_url=api.base_url)
    with pytest.raises(InvalidArgumentError, match="secret_token is required in webhook mode"):
        await serve(unchecked, PresenceBot(presence))
    assert api.called("setWebhook") == [] and api.called("getMe") == []
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
