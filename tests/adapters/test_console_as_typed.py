"""The issue-12 inputs typed into ``presence-bot``'s console as a real process, and what operators meet.

English and Chinese sessions piped in whole; Ctrl-C in a real terminal; settings mistakes.
"""

from __future__ import annotations

import asyncio
import os
import pty
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from presence_core.stores.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[2]


def env(**settings: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PRESENCE_")}
    return {**clean, "PYTHONPATH": str(ROOT), "PRESENCE_STORAGE": "memory", **settings}


def run_bot(tmp_path: Path, stdin: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "presence_adapters.cli"], input=stdin, capture_output=True, text=True,
                          cwd=tmp_path, env=env(**settings), timeout=60)


ENGLISH = """\
/presence status Out for lunch
/presence status Working from home for now
/presence dnd for 10m
/presence away 1.5h
/presence offline 1w
/presence online 2h
/presence activity 3 since
/presence
/presence offline 30m
/presence
hello team
:channel dev-team
standup in 5
:channel lobby
/presence activity since 2d
/presence status 🏳️‍🌈 👨‍👩‍👧 👍🏽 1️⃣
/presence unlnk zzz
.
:dm
/presence forget
yes
:channel lobby
"""


def test_an_english_session_as_typed(tmp_path: Path) -> None:
    done = run_bot(tmp_path, ENGLISH + "/presence help who\n" * 30 + "/presence who\n")
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    for line in ("bot> 💬 Custom status set: Out for lunch",
                 "bot> 💬 Custom status set: Working from home for now",
                 "bot> ⛔ Your status is now do not disturb for 10m.",
                 "bot> 🌙 Your status is now away for 1h 30m.",
                 "bot> ⚫ Your status is now offline for 7d.",
                 "bot> ⚠️ online can't have a duration: it already returns to automatic.",
                 "bot> (to you) ⚠️ Say how long, e.g. 30m, 2h, 1h30m or 1d.",
                 "bot> (to you) ⚫ You are invisible (ends in 30m): others see you offline.",
                 "bot> just now · message in #dev-team",
                 "bot> 💬 Custom status set: 🏳️‍🌈 👨‍👩‍👧 👍🏽 1️⃣",
                 "bot> (to you) ⚠️ You have no linked accounts.",
                 "bot> 🗑 Done: everything stored about you is erased."):
        assert line in out, line
    assert not [line for line in out if "console:" in line or "(s)" in line or "until in" in line]
    assert not [line for line in out if "Slow down" in line]
    assert out[-1] == "bot> Nobody here is online right now." or out[-1].startswith("bot> 🟢 you")
    assert "Traceback" not in done.stdout + done.stderr


CHINESE = """\
:lang zh-CN
/presence 勿扰30分钟
/presence 勿扰 半小时
/presence 勿扰 两小时
/presence 离开 一小时
/presence 隐身 五分钟
/presence 勿扰 一个半小时
/presence 勿扰 2個小時
/presence 勿扰 ３０分钟
/presence 状态：开会
/presence 状态:午饭 持续 一小时
/presence 谁在线
/presence 帮助
/presence 活动 最近 两天
"""


def test_a_chinese_session_as_typed(tmp_path: Path) -> None:
    done = run_bot(tmp_path, CHINESE)
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    for line in ("bot> ⛔ 你的状态已设为请勿打扰，持续 30分钟。",
                 "bot> ⛔ 你的状态已设为请勿打扰，持续 2小时。",
                 "bot> 🌙 你的状态已设为离开，持续 1小时。",
                 "bot> ⚫ 你的状态已设为离线，持续 5分钟。",
                 "bot> ⛔ 你的状态已设为请勿打扰，持续 1小时30分钟。",
                 "bot> 💬 自定义状态已设置：开会",
                 "bot> 💬 自定义状态已设置，持续 1小时：午饭",
                 "bot> 当前在这里（1）：",
                 "bot> /presence who（也可以写：谁、谁在线）— 这个聊天里谁在线、离开或勿扰"):
        assert line in out, line
    assert out.count("bot> ⛔ 你的状态已设为请勿打扰，持续 30分钟。") == 3
    assert not [line for line in out if "⚠️" in line or "你是想用" in line]


@pytest.mark.parametrize(("settings", "toml", "expected"), [
    ({"PRESENCE_TELEGRAM__TOKEN": ""}, "",
     "presence-bot: setting telegram.token ({file} or PRESENCE_*) is empty: set the token, or remove the key to leave "
     "this platform off"),
    ({"PRESENCE_LOG_LEVEL": "LOUD"}, "",
     "presence-bot: setting log_level ({file} or PRESENCE_*) must be one of 'DEBUG', 'INFO', 'WARNING', 'ERROR' or "
     "'CRITICAL'"),
    ({}, "away_afer_ms = 300000\n",
     "presence-bot: unknown setting away_afer_ms in {file} or PRESENCE_* (did you mean away_after_ms?)"),
    ({"PRESENCE_TELEGRAM__SECRET_TOKN": "hunter2"}, "",
     "presence-bot: unknown environment variable PRESENCE_TELEGRAM__SECRET_TOKN (did you mean "
     "PRESENCE_TELEGRAM__SECRET_TOKEN?)"),
    ({}, '[telegram]\ntoken = "123:hunter2"\nwebhook_url = "https://bot.example/tg"\n',
     "presence-bot: setting telegram.secret_token ({file} or PRESENCE_*) is required when webhook_url is set: without "
     "it anyone who finds the URL can send the bot forged messages (see docs/telegram.md)"),
])
def test_an_operator_s_settings_mistake_is_one_line_and_exit_code_2(tmp_path: Path, settings: dict[str, str],
                                                                    toml: str, expected: str) -> None:
    (tmp_path / "config.toml").write_text(toml, encoding="utf-8")
    done = run_bot(tmp_path, "/presence\n", **settings)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [expected.format(file="config.toml")]
    assert "hunter2" not in done.stderr


def test_human_durations_in_config_toml_are_used(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('away_after_ms = "5m"\noffline_after_ms = "2h"\n', encoding="utf-8")
    done = run_bot(tmp_path, "/presence online\n")
    assert done.returncode == 0, done.stderr
    assert "after 5m without activity you'll show as away" in done.stdout


def test_the_first_line_a_newcomer_sees_is_info(tmp_path: Path) -> None:
    done = run_bot(tmp_path, "")
    [line] = done.stderr.splitlines()
    assert "level=INFO" in line and "adapters=console store=memory" in line


async def test_ctrl_c_in_a_terminal_leaves_at_once_and_keeps_what_was_recorded(tmp_path: Path) -> None:
    """A real terminal (a pty), waiting for input; SIGINT is what Ctrl-C sends. SQLite shows what was kept."""
    db = tmp_path / "presence.sqlite3"
    main, terminal = pty.openpty()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "presence_adapters.cli", stdin=terminal, stdout=terminal,
        stderr=asyncio.subprocess.PIPE, cwd=tmp_path,
        env=env(PRESENCE_STORAGE="sqlite", PRESENCE_SQLITE_PATH=str(db)))
    os.close(terminal)
    seen = b""

    async def read_until(marker: bytes) -> None:
        nonlocal seen
        while marker not in seen:
            seen += await asyncio.get_running_loop().run_in_executor(None, os.read, main, 4096)

    try:
        async with asyncio.timeout(30):
            await read_until(b"you@#lobby> ")
            os.write(main, "hello\n/presence dnd\n".encode())
            await read_until("do not disturb".encode())
            await read_until(b"you@#lobby> ")
            os.write(main, b"half a line without Enter")
            process.send_signal(signal.SIGINT)
            async with asyncio.timeout(10):
                await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
        os.close(main)
    stderr = (await process.stderr.read()).decode() if process.stderr else ""
    assert process.returncode == 0 and "Traceback" not in stderr

    async def kept() -> tuple[list[str], str]:
        store = SqliteStore(db)
        events = await store.activity("console:you", 10, None)
        record = (await store.load(["console:you"]))["console:you"]
        await store.close()
        return [e.type for e in events], record.manual.value if record.manual else ""
    assert await kept() == (["command", "message"], "dnd")
