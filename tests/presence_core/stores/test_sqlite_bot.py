"""``presence-bot`` on SQLite, as a real process: what it answered survives a restart and a SIGKILL."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

from presence_core.stores.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[3]
SET_UP = ':user alice-phone\n/presence dnd\n/presence status "交易 BTC"\n'
READ_BACK = ":user alice-laptop\n/presence\n"


def bot_env(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESENCE_")}
    return {**env, "PRESENCE_STORAGE": "sqlite", "PRESENCE_SQLITE_PATH": str(db), "PYTHONPATH": str(ROOT)}


def run_bot(tmp_path: Path, db: Path, stdin: str) -> str:
    done = subprocess.run([sys.executable, "-m", "presence_adapters.cli"], input=stdin, capture_output=True, text=True,
                          cwd=tmp_path, env=bot_env(db), timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def link_code(tmp_path: Path, db: Path) -> str:
    out = run_bot(tmp_path, db, ":user alice-phone\n:dm\n/presence link\n")
    return out.split("link code: ")[1].split(".")[0]


def assert_alice_kept_everything(tmp_path: Path, db: Path) -> None:
    out = run_bot(tmp_path, db, READ_BACK)
    # Answered privately in #lobby: it names a device of alice's other, linked account.
    assert "bot> (to alice-laptop) ⛔ Your status: do not disturb (set by you)." in out
    assert "bot> 💬 交易 BTC" in out


def channels_logged(db: Path, user_id: str) -> set[str]:
    async def read() -> set[str]:
        store = SqliteStore(db)
        person = (await store.resolve([user_id]))[user_id]
        events = await store.activity(person, 1 << 30, None)
        await store.close()
        return {e.channel_id for e in events if e.channel_id}
    return asyncio.run(read())


def test_stopped_and_started_again_it_keeps_status_custom_status_link_and_activity(tmp_path: Path) -> None:
    db = tmp_path / "data" / "presence.sqlite3"
    code = link_code(tmp_path, db)
    run_bot(tmp_path, db, f":user alice-laptop\n/presence link {code}\n{SET_UP}:channel elsewhere\nhello\n")
    assert_alice_kept_everything(tmp_path, db)
    assert {"console:lobby", "console:elsewhere"} <= channels_logged(db, "console:alice-laptop")


def test_killed_mid_load_it_keeps_everything_it_had_answered(tmp_path: Path) -> None:
    db = tmp_path / "presence.sqlite3"
    code = link_code(tmp_path, db)
    bot = subprocess.Popen([sys.executable, "-m", "presence_adapters.cli"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True, cwd=tmp_path, env=bot_env(db))
    assert bot.stdin is not None and bot.stdout is not None
    watchdog = threading.Timer(30, bot.kill)
    watchdog.start()
    try:
        # The console handles lines in order and records each before the next: a printed line
        # acknowledges every message before it. 300 messages stay under the log's cap of 500.
        bot.stdin.write(f":user alice-laptop\n/presence link {code}\n{SET_UP}")
        bot.stdin.write("".join(f":channel load{i}\nhello\n" for i in range(300)))
        bot.stdin.flush()
        shown = ""
        while "#load150)" not in shown:
            line = bot.stdout.readline()
            assert line, "the bot stopped before the load"
            shown += line
        os.kill(bot.pid, signal.SIGKILL)
        shown += bot.stdout.read()
        bot.wait()
    finally:
        watchdog.cancel()
        bot.kill()
    assert bot.returncode == -signal.SIGKILL
    assert "Linked:" in shown and "Custom status set" in shown
    reached = max(int(n) for n in re.findall(r"#load(\d+)\)", shown))
    assert reached < 299, "the kill came after the load, not during it"
    assert {f"console:load{i}" for i in range(reached)} <= channels_logged(db, "console:alice-phone")
    assert_alice_kept_everything(tmp_path, db)
