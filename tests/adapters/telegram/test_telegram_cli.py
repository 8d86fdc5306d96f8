"""`presence-bot` as a real process runs Telegram when PRESENCE_TELEGRAM__TOKEN is set."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from fake_bot_api import TOKEN, FakeBotApi
from telegram_updates import Messages, Person, private

REPO = Path(__file__).resolve().parents[3]
ALICE = Person(42, "Alice", "alice", "en")


async def test_presence_bot_answers_on_telegram_and_stops_cleanly_on_sigterm(
        api: FakeBotApi, messages: Messages, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PRESENCE_TELEGRAM__TOKEN": TOKEN,
           "PRESENCE_TELEGRAM__BASE_URL": api.base_url, "PRESENCE_STORAGE": "memory",
           "PRESENCE_LOG_LEVEL": "INFO"}
    env.pop("PRESENCE_DISCORD__TOKEN", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "presence_adapters.cli", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await api.wait_for(lambda api: bool(api.called("getUpdates")), timeout=15)
        await api.push(messages.message(ALICE, private(ALICE), "/presence"))
        [answer] = await api.wait_sent(1)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 10)

    assert answer.chat_id == ALICE.id
    assert process.returncode == 0, stderr.decode()
    assert TOKEN.split(":")[1] not in stderr.decode()
