"""An operator's python-telegram-bot project, with its own ``bot.py``, runs the docs' example (issue 10).

The child process imports only what pip installed; the operator's ``bot.py`` (and their own ``bot/``
package and ``adapters.py``) sit first on its ``sys.path`` and must not shadow ours.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fake_bot_api import TOKEN, FakeBotApi
from telegram_updates import GROUP, Messages, Person, private

from tests.support.operator_project import doc_example, output, running_script, write_project

ALICE = Person(42, "Alice", "alice", "en")


@pytest.mark.parametrize("crowded", [False, True], ids=["bot.py", "bot.py, bot/ and adapters.py"])
async def test_the_docs_example_answers_presence_from_an_operators_bot_py(api: FakeBotApi, tmp_path: Path,
                                                                         crowded: bool) -> None:
    script = doc_example("telegram.md", "## Add the plugin to your own bot").replace("123456:ABC…", TOKEN)
    project = write_project(tmp_path / "mybot", script, crowded=crowded)
    messages = Messages(lambda: time.time_ns() // 1_000_000)

    async with running_script(project, tmp_path / "hooks", {"FAKE_BOT_API": api.base_url}) as bot:
        await api.wait_for(lambda api: bool(api.called("getUpdates")) or bot.returncode is not None, timeout=30)
        assert bot.returncode is None, await output(bot)
        await api.push(messages.message(ALICE, GROUP, "hello"))
        await api.push(messages.message(ALICE, private(ALICE), "/presence"))
        [answer] = await api.wait_sent(1, timeout=15)
    errors = await output(bot)

    assert answer.chat_id == ALICE.id and "Your status" in answer.text
    assert bot.returncode == 0, errors
    assert "Traceback" not in errors
    assert (project / "presence.sqlite3").exists()
