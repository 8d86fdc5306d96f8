"""Command sync, presence-bot's own Discord runner, and the cog as an extension of an operator's bot."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterator
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands
from discord_harness import WAIT_S, running
from fake_discord import ALICE_ID, APP_ID, BOT_ID, CHANNEL_ID, GUILD_ID, FakeDiscord

from presence_adapters.discord import PresenceCog, serve, sync_commands
from presence_adapters.discord.translator import PresenceTranslator
from presence_bot import i18n
from presence_bot.app import PresenceBot
from presence_bot.catalog import SUBCOMMANDS
from presence_bot.settings import DiscordSettings
from presence_core.service import PresenceService, system_clock
from tests.support.clock import FakeClock

SETTINGS = DiscordSettings(token="fake-token", message_content=True, presences=True, members=False)


def _by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in items}


async def test_sync_to_one_guild_registers_the_presence_command_tree(fake: FakeDiscord) -> None:
    names = await sync_commands(SETTINGS, GUILD_ID)

    [call] = fake.calls_to("PUT", rf"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
    [presence] = call.json
    subcommands = _by_name(presence["options"])
    groups = {name: _by_name(subcommands[name]["options"]) for name in ("team", "token")}
    assert presence["name"] == "presence" and len(subcommands) <= 25  # Discord's limit per group
    assert list(groups["team"]) == ["capacity", "take", "done", "skills", "hours", "available", "pick"]
    assert list(groups["token"]) == ["create", "list", "revoke"]  # token NAME, tokens, token revoke NAME
    assert sorted([*subcommands, *groups["team"]]) == sorted(["me", "user", "team",
                                                              *(s for s in SUBCOMMANDS if s != "tokens")])
    assert names == [f"/presence {name} {inner}" if name in groups else f"/presence {name}"
                     for name in subcommands for inner in groups.get(name, [name])]
    assert fake.calls_to("PUT", rf"/applications/{APP_ID}/commands") == []


async def test_synced_options_are_typed_described_and_translated(fake: FakeDiscord) -> None:
    await sync_commands(SETTINGS, None)

    [call] = fake.calls_to("PUT", rf"/applications/{APP_ID}/commands")
    subcommands = _by_name(call.json[0]["options"])
    who = subcommands["who"]
    assert who["description"] == i18n.text("en", "help.who")
    assert who["description_localizations"] == {"zh-CN": i18n.text("zh-CN", "help.who")}

    limit = _by_name(subcommands["activity"]["options"])["limit"]
    assert (limit["type"], limit["min_value"], limit["max_value"], limit["required"]) == (4, 1, 50, False)
    user = _by_name(subcommands["user"]["options"])["user"]
    assert (user["type"], user["required"]) == (6, True)
    for name in ("away", "dnd", "offline"):
        assert _by_name(subcommands[name]["options"])["duration"]["autocomplete"] is True
    assert _by_name(subcommands["unlink"]["options"])["device"]["autocomplete"] is True

    state = _by_name(subcommands["tracking"]["options"])["state"]
    assert [c["value"] for c in state["choices"]] == ["on", "off"]
    on_in_chinese = i18n.text("zh-CN", "words.on").split("|")[0]
    assert state["choices"][0]["name_localizations"] == {"zh-CN": on_in_chinese}
    topics = [c["value"] for c in _by_name(subcommands["help"]["options"])["command"]["choices"]]
    assert topics == ["presence", "user", *SUBCOMMANDS]


async def test_presence_bot_serves_discord_with_the_configured_intents_until_cancelled(
        fake: FakeDiscord, presence: PresenceService, caplog: pytest.LogCaptureFixture) -> None:
    presence_bot = PresenceBot(presence)
    task = asyncio.create_task(serve(SETTINGS, presence_bot))
    async with asyncio.timeout(WAIT_S):
        await fake.connected.wait()

    intents = discord.Intents(fake.identify["intents"])
    assert (intents.message_content, intents.presences, intents.members) == (True, True, False)
    await fake.send_message(ALICE_ID, f"<@{BOT_ID}> hello there", mentions=(BOT_ID,))
    await fake.send_message(ALICE_ID, "/presence who")
    [reply] = await fake.wait_for_call("POST", rf"/channels/{CHANNEL_ID}/messages")
    assert "alice" in reply.json["content"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert fake.calls_to("PUT", r"/applications/.*") == []  # never syncs on start

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, WAIT_S)
    await presence_bot.close()


class OperatorTranslator(app_commands.Translator):
    """An operator's own translator: it must keep working while the cog is loaded."""

    def __init__(self) -> None:
        self.loaded = 0

    async def load(self) -> None:
        self.loaded += 1

    async def unload(self) -> None:
        self.loaded -= 1

    async def translate(self, string: app_commands.locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        return "检查" if locale is discord.Locale.chinese and string.message == "Check the bot answers" else None


async def test_the_operators_translator_keeps_translating_their_commands(
        fake: FakeDiscord, operator_bot: commands.Bot, presence: PresenceService) -> None:
    theirs = OperatorTranslator()
    await operator_bot.tree.set_translator(theirs)
    cog = PresenceCog(operator_bot, presence)
    await operator_bot.add_cog(cog)

    async with running(fake, operator_bot):
        await operator_bot.tree.sync()
        [call] = fake.calls_to("PUT", rf"/applications/{APP_ID}/commands")
        commands_ = _by_name(call.json)
        assert commands_["ping"]["description_localizations"] == {"zh-CN": "检查"}
        assert _by_name(commands_["presence"]["options"])["who"]["description_localizations"]
        assert theirs.loaded == 1

        await operator_bot.remove_cog(cog.qualified_name)
        assert operator_bot.tree.translator is theirs and theirs.loaded == 1
        assert isinstance(cog._translator, PresenceTranslator)


@pytest.fixture
def extension_modules() -> Iterator[None]:
    """discord.py's unload_extension drops the package's modules from sys.modules; put them back."""
    saved = {name: module for name, module in sys.modules.items() if name.startswith("presence_adapters.discord")}
    yield
    for name in [n for n in sys.modules if n.startswith("presence_adapters.discord")]:
        del sys.modules[name]
    sys.modules.update(saved)


@pytest.mark.usefixtures("extension_modules")
async def test_the_extension_uses_the_bots_presence_service(
        fake: FakeDiscord, operator_bot: commands.Bot, presence: PresenceService) -> None:
    operator_bot.presence = presence  # type: ignore[attr-defined]
    await operator_bot.load_extension("presence_adapters.discord")

    async with running(fake, operator_bot) as chat:
        [reply] = await chat.say(ALICE_ID, "/presence who")
        assert "alice" in reply.content
        await operator_bot.unload_extension("presence_adapters.discord")
        assert operator_bot.get_cog("Presence") is None
        assert await chat.say(ALICE_ID, "/presence who") == []
    # The bot's service belongs to the operator: still usable after the cog is gone.
    assert (await presence.get_status(f"discord:{ALICE_ID}")).status == "online"


@pytest.mark.usefixtures("extension_modules")
async def test_the_extension_builds_its_own_service_from_settings_when_the_bot_has_none(
        fake: FakeDiscord, operator_bot: commands.Bot, monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
        clock: FakeClock) -> None:
    clock.now = system_clock()  # that service keeps real time; messages must be dated now
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PRESENCE_STORAGE", "memory")
    closed: list[PresenceService] = []
    close = PresenceService.close

    async def spy_close(service: PresenceService) -> None:
        closed.append(service)
        await close(service)
    monkeypatch.setattr(PresenceService, "close", spy_close)

    await operator_bot.load_extension("presence_adapters.discord")
    cog = operator_bot.get_cog("Presence")
    assert isinstance(cog, PresenceCog)
    async with running(fake, operator_bot) as chat:
        [reply] = await chat.say(ALICE_ID, "/presence who")
        assert "alice" in reply.content

    # Closing the bot unloads the extension, and the cog closes the service it made.
    assert operator_bot.get_cog("Presence") is None
    assert closed == [cog.service]



class KeyRecorder(app_commands.Translator):
    """Collects the locale-file keys of every text the command tree asks to translate."""

    def __init__(self) -> None:
        self.keys: set[str] = set()

    async def translate(self, string: app_commands.locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        if "presence_key" in string.extras:
            self.keys.add(string.extras["presence_key"])
        return None


async def test_every_text_of_the_command_tree_is_in_both_locale_files(operator_bot: commands.Bot) -> None:
    recorder = KeyRecorder()
    await PresenceCog.group.get_translated_payload(operator_bot.tree, recorder)
    wanted = recorder.keys | {"discord.cannot_post"}

    assert {"help.who", "discord.option.duration", "words.on"} <= wanted
    for locale in i18n.LOCALES:
        assert sorted(wanted - set(i18n.strings(locale))) == [], f"missing in bot/locales/{locale}/"
