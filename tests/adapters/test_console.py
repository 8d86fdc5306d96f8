"""``presence-bot`` as a real process with piped console input (SPEC section 9)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from presence_adapters.console import Console
from presence_bot.app import PresenceBot
from presence_core import PresenceService
from presence_core.stores.memory import MemoryStore
from tests.support.clock import FakeClock

SCRIPT = """\
hello
/presence status "交易 BTC" for 2h
/presence dnd 1h
:user bob
hi all
/presence who
/presence activity
/presence whoo
.
:dm
/presence devices
:channel lobby
:lang zh-CN
/presence 勿扰
/presence status "unclosed
"""


def run_bot(tmp_path: Path, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESENCE_")}
    env["PRESENCE_STORAGE"] = "memory"
    return subprocess.run([sys.executable, "-m", "presence_adapters.cli", *args], input=stdin, capture_output=True,
                          text=True, cwd=tmp_path, env={**env, "PYTHONPATH": str(Path(__file__).parents[2])},
                          timeout=60)


def test_piped_console_session_answers_everything_and_exits_zero(tmp_path: Path) -> None:
    done = run_bot(tmp_path, SCRIPT)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "bot> 💬 Custom status set for 2h: 交易 BTC" in out
    assert "bot> ⛔ Your status is now do not disturb for 1h." in out
    assert "(now bob in #lobby)" in out
    assert "bot> 🟢 bob · online" in out and "bot> ⛔ you · do not disturb · 交易 BTC" in out
    assert "bot> (to bob) Your last 3 activities:" in out
    assert "Did you mean who? Send . to run it." in out
    assert "bot> Your devices (1):" in out
    assert "bot> ⛔ 你的状态已设为请勿打扰。" in out
    assert "bot> ⚠️ 引号 \" 没有闭合。" in out
    assert "Traceback" not in out + done.stderr
    assert "adapters=console store=memory" in done.stderr


def test_a_pending_question_is_answered_at_the_end_of_input(tmp_path: Path) -> None:
    done = run_bot(tmp_path, ":dm\n/presence forget\n")
    assert done.returncode == 0
    assert done.stdout.splitlines()[-1] == "bot> Cancelled: nothing was erased."


def test_quit_stops_reading(tmp_path: Path) -> None:
    done = run_bot(tmp_path, ":quit\n/presence\n")
    assert done.returncode == 0 and "bot>" not in done.stdout


def test_a_missing_settings_file_is_a_clear_error(tmp_path: Path) -> None:
    done = run_bot(tmp_path, "", "--config", "nowhere.toml")
    assert done.returncode == 2 and "nowhere.toml does not exist" in done.stderr


def test_settings_come_from_config_toml_and_environment(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('default_locale = "zh-CN"\nstorage = "memory"\n', encoding="utf-8")
    done = run_bot(tmp_path, "/presence dnd\n")
    assert "请勿打扰" in done.stdout and "settings=config.toml" in done.stderr


@pytest.fixture
def console_bot(clock: FakeClock) -> PresenceBot:
    return PresenceBot(PresenceService(MemoryStore(), clock=clock))


async def test_console_mentions_name_console_users(console_bot: PresenceBot) -> None:
    console = Console(console_bot, io.StringIO(""), io.StringIO())
    console.state.user = "alice"
    session = console.session("/presence @bob")
    assert session.user_id == "console:alice" and session.mentions == {"@bob": "console:bob"}
    assert session.names == {"console:bob": "bob"}
    console.state.direct = True
    assert console.session("x").channel_id == "console:dm/alice" and console.session("x").is_direct


def test_two_linked_accounts_share_dnd_in_a_live_console(tmp_path: Path) -> None:
    """Link alice's two accounts through the chat itself, set dnd on one, read it on the other."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESENCE_")}
    bot = subprocess.Popen([sys.executable, "-m", "presence_adapters.cli"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                           env={**env, "PRESENCE_STORAGE": "memory", "PYTHONPATH": str(Path(__file__).parents[2])})
    assert bot.stdin is not None and bot.stdout is not None
    try:
        bot.stdin.write(":user alice-phone\n:dm\n/presence link\n")
        bot.stdin.flush()
        line = ""
        while "link code:" not in line:
            line = bot.stdout.readline()
            assert line, "the bot ended before giving a link code"
        code = line.split("link code: ")[1].split(".")[0]
        out, _ = bot.communicate(f":user alice-laptop\n/presence link {code}\n:user alice-phone\n:channel lobby\n"
                                 "/presence dnd\n:user alice-laptop\n/presence\n", timeout=60)
    finally:
        bot.kill()
    assert "Linked: console alice-laptop is now one of your devices." in out
    # Private in a channel: the devices of a linked account are nobody else's business (SPEC section 6).
    assert out.rstrip().splitlines()[-3] == "bot> (to alice-laptop) ⛔ Your status: do not disturb (set by you)."


async def test_a_watch_that_fires_is_printed_to_the_watcher(console_bot: PresenceBot) -> None:
    script = (":user alice\nhello\n/presence capacity 2\n/presence dnd\n:user bob\n/presence notify @alice\n"
              ":user alice\n/presence online\n")
    out = io.StringIO()
    async with console_bot.service:
        await Console(console_bot, io.StringIO(script), out).run()
    assert out.getvalue().splitlines()[-3:] == [
        "(now alice in #lobby)",
        "bot> (to bob) 🔔 alice is available now.",
        "bot> 🟢 You're online again; after 5m without activity you'll show as away.",
    ]


def test_a_byte_order_mark_before_the_first_command_is_no_part_of_it(tmp_path: Path) -> None:
    """Notepad and PowerShell put one at the start of a file piped in."""
    done = run_bot(tmp_path, "\ufeff/presence dnd\n/presence\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == ["bot> ⛔ Your status is now do not disturb.",
                                            "bot> ⛔ Your status: do not disturb (set by you)."]


async def test_a_language_without_texts_is_refused_naming_those_there_are(console_bot: PresenceBot) -> None:
    out = io.StringIO()
    await Console(console_bot, io.StringIO(":lang fr\n/presence dnd\n:lang zh\n/presence dnd\n"), out).run()
    assert out.getvalue().splitlines() == [
        "There are no texts in fr: use :lang with one of en zh-CN.",
        "bot> ⛔ Your status is now do not disturb.",
        "（现在是 you，在 #lobby）",
        "bot> ⛔ 你的状态已设为请勿打扰。",
    ]


async def console_lines(presence_bot: PresenceBot, script: str) -> list[str]:
    out = io.StringIO()
    async with presence_bot.service:
        await Console(presence_bot, io.StringIO(script), out).run()
    return out.getvalue().splitlines()


async def test_a_console_channel_is_a_group_secrets_and_forget_need_the_private_chat(console_bot: PresenceBot) -> None:
    """As in a Telegram or Discord group: nothing secret is made in #lobby, forget is not started there."""
    ask = "bot> 🔒 Send that to me in a private chat: its answer is for you alone, so nothing was done here."
    lines = await console_lines(console_bot, "/presence link\n/presence 令牌 myapp\n/presence token myapp\n"
                                             "/presence forget\nhello\n/presence activity 1\n")
    assert lines[:4] == [ask, ask, ask, ask]
    assert not [line for line in lines if "prs_" in line or "link code" in line or "Cancelled" in line]
    # A private answer in a channel is printed as the direct message it is on the platforms.
    assert lines[4:6] == ["bot> (to you) Your last activity:", "bot> just now · command here"]
    assert await console_bot.service.list_tokens("console:you") == []


async def test_in_the_console_s_private_chat_secrets_are_given_and_forget_is_answered_there(
        console_bot: PresenceBot) -> None:
    lines = await console_lines(console_bot, ":dm\n/presence token myapp\n/presence forget\n:channel lobby\n"
                                             "hello everyone\n:dm\nyes\n")
    assert [line for line in lines if line.startswith("bot> 🔑 Your API token myapp: prs_")]
    assert not [line for line in lines if "(to you)" in line or "Cancelled" in line]
    assert "bot> 🗑 Done: everything stored about you is erased." in lines
    # The group message while the question waited in the private chat neither answered nor cancelled it.
    assert lines.index("bot> 🗑 Done: everything stored about you is erased.") > lines.index("(now you in #lobby)")


async def test_console_names_are_usernames_in_any_case(console_bot: PresenceBot) -> None:
    lines = await console_lines(console_bot, ":user ann\nhello\n/presence dnd\n:user you\nhi\n/presence @ANN\n"
                                             "/presence @Ann\n/presence notify @ANN\n:user Ann\n/presence\n")
    assert lines.count("bot> ⛔ ann: do not disturb.") == 2
    assert "bot> (to you) 🔔 I'll tell you privately when ann is next available (within 1d)." in lines
    assert not [line for line in lines if "offline" in line or "haven't seen" in line]
    assert "bot> ⛔ Your status: do not disturb (set by you)." in lines
