"""An operator's discord.py project, with its own ``bot.py``, runs the docs' example (issue 10).

The child process imports only what pip installed; the operator's ``bot.py`` (and their own ``bot/``
package and ``adapters.py``) sit first on its ``sys.path`` and must not shadow ours.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fake_discord import ALICE_ID, CHANNEL_ID, FakeDiscord

from tests.support.operator_project import doc_example, output, running_script, write_project


@pytest.fixture
async def child_fake() -> AsyncIterator[FakeDiscord]:
    """A fake Discord on the real clock, for a bot in another process."""
    server = FakeDiscord(lambda: time.time_ns() // 1_000_000)
    await server.start()
    yield server
    await server.close()


@pytest.mark.parametrize("crowded", [False, True], ids=["bot.py", "bot.py, bot/ and adapters.py"])
async def test_the_docs_example_answers_presence_from_an_operators_bot_py(child_fake: FakeDiscord, tmp_path: Path,
                                                                         crowded: bool) -> None:
    script = doc_example("discord.md", "## Add the cog to your own bot")
    project = write_project(tmp_path / "mybot", script, crowded=crowded)
    env = {"FAKE_DISCORD_API": child_fake.api_base, "FAKE_DISCORD_GATEWAY": child_fake.gateway_url}

    async with running_script(project, tmp_path / "hooks", env) as bot:
        async with asyncio.timeout(30):
            while not child_fake.connected.is_set():
                assert bot.returncode is None, await output(bot)
                await asyncio.sleep(0.05)
        answers = []
        async with asyncio.timeout(30):
            # The guild arrives just after the connection; ask until the cog has it and answers.
            while not answers:
                mark = len(child_fake.calls)
                await child_fake.send_message(ALICE_ID, "/presence who")
                await asyncio.sleep(0.5)
                answers = [s for s in child_fake.sent(mark) if s.channel_id == CHANNEL_ID]
    errors = await output(bot)

    assert "alice" in answers[0].content
    assert bot.returncode == 0, errors
    assert "Traceback" not in errors


async def test_the_docs_example_with_a_wrong_token_shows_discords_refusal(child_fake: FakeDiscord,
                                                                         tmp_path: Path) -> None:
    """Discord refuses the login before ``setup_hook`` runs; closing must not hide that behind its own error."""
    child_fake.fail("GET", r"/users/@me", status=401, message="401: Unauthorized")
    project = write_project(tmp_path / "mybot", doc_example("discord.md", "## Add the cog to your own bot"),
                            crowded=False)
    env = {"FAKE_DISCORD_API": child_fake.api_base, "FAKE_DISCORD_GATEWAY": child_fake.gateway_url}

    async with running_script(project, tmp_path / "hooks", env) as bot:
        async with asyncio.timeout(30):
            await bot.wait()
    errors = await output(bot)

    assert bot.returncode != 0
    assert "LoginFailure: Improper token has been passed." in errors
    assert "AttributeError" not in errors
