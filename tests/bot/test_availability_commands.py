"""Availability commands through the router, as people type them in English and Chinese."""

from __future__ import annotations

from presence_bot.app import PresenceBot
from presence_core.service import PresenceService
from tests.support.chat import Chat


async def test_a_desk_in_five_commands_in_english_and_chinese(service: PresenceService) -> None:
    chat = Chat(PresenceBot(service))
    assert "at most 2" in await chat.text("ann", "/presence capacity 2")
    assert "最多 3 件" in await chat.text("bob", "/presence 容量 3", locale="zh-CN")
    assert "billing, refunds" in await chat.text("ann", "/presence skills billing #Refunds")
    assert "周一–周五 09:00–18:00（Asia/Shanghai）" in await chat.text(
        "bob", "/presence 工作时间 周一至周五 9:00-18:00 Asia/Shanghai", locale="zh-CN")
    listed = await chat.text("lead", "/presence available billing")
    assert "ann · 0/2 · billing, refunds" in listed and "bob" not in listed
    assert "ann is picked (1/2)" in await chat.text("lead", "/presence pick billing")
    assert "full (2/2)" in await chat.text("ann", "/presence take")


async def test_typed_as_discord_shows_them_and_in_everyday_chinese(service: PresenceService) -> None:
    """Discord lists these under /presence team; people type what they saw there, or 可用 / 谁有空."""
    chat = Chat(PresenceBot(service))
    await chat.text("ann", "/presence team capacity 2")
    assert "ann · 0/2" in await chat.text("lead", "/presence team available")
    for typed in ("/presence 可用", "/presence 谁有空"):
        assert "ann · 0/2" in await chat.text("lead", typed, locale="zh-CN")
    assert "ann is picked (1/2)" in await chat.text("lead", "/presence TEAM pick")


async def test_bad_input_gets_one_line_and_the_usage(service: PresenceService) -> None:
    chat = Chat(PresenceBot(service))
    zone = await chat.text("ann", "/presence hours mon-fri 9-18 Europe/Berln")
    assert zone == ("⚠️ I don't know the time zone Europe/Berln. Did you mean Europe/Berlin?\n"
                    "Usage: /presence hours [mon-fri 09:00-18:00 [TZ]|off]")
    assert (await chat.text("ann", "/presence capacity 500")).startswith("⚠️ 500 is not a number from 1 to 100.")
    await chat.text("ann", "/presence capacity 1")
    assert "take 2 force" in await chat.text("ann", "/presence take 2")
    assert "I haven't seen @zed" in await chat.text("ann", "/presence notify @zed")
    assert "can't watch yourself" in await chat.text("ann", "/presence notify @ann", mentions={"@ann": "test:ann"})
