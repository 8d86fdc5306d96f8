"""presence-bot's Discord side when Discord says no or cannot be reached: one line, never a traceback."""

from __future__ import annotations

import asyncio
import logging
import socket

import discord
import pytest
from fake_discord import FakeDiscord

import presence_adapters.discord.runner as runner
from presence_adapters.cli import main
from presence_bot.app import PresenceBot
from presence_bot.settings import DiscordSettings
from presence_core.service import PresenceService


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Discord's address answers nothing: a loopback port nobody listens on."""
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{closed_port()}/api/v10")


async def test_an_unreachable_discord_is_waited_for_with_one_line_per_try(
        unreachable: None, presence: PresenceService, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(runner, "MAX_LOGIN_DELAY_S", 0.01)
    presence_bot = PresenceBot(presence)
    with caplog.at_level(logging.WARNING, logger="presence_adapters.discord.runner"):
        task = asyncio.create_task(runner.serve(DiscordSettings(token="abc"), presence_bot))
        tries = lambda: [r for r in caplog.records if r.name == runner.__name__]  # noqa: E731
        async with asyncio.timeout(10):
            while len(tries()) < 3:
                await asyncio.sleep(0.01)
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert all(r.getMessage().startswith("Discord is not reachable (") and r.exc_info is None for r in tries())
    await presence_bot.close()


def test_sync_commands_against_an_unreachable_discord_is_one_line(
        unreachable: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PRESENCE_DISCORD__TOKEN", "abc")
    monkeypatch.setenv("PRESENCE_STORAGE", "memory")
    assert main(["sync-commands"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith("presence-bot: Discord is not reachable (")
    assert "Traceback" not in err and "abc" not in err


async def test_a_token_discord_rejects_stops_with_one_line(fake: FakeDiscord, presence: PresenceService) -> None:
    fake.fail("GET", r"/users/@me", status=401, code=0, message="401: Unauthorized")
    with pytest.raises(runner.DiscordStartError, match="rejected discord.token"):
        await runner.serve(DiscordSettings(token="wrong"), PresenceBot(presence))


def test_the_missing_voice_libraries_are_not_the_first_thing_an_operator_reads(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        client = runner.build_client(DiscordSettings(token="abc"))
    assert not [r for r in caplog.records if "voice" in r.getMessage()]
    assert client.intents.guilds
