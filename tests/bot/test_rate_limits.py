"""Rate limits (issue 12 and issue 17, item 7): per person first, a chat never silenced by a few accounts,
pending questions always answered, and none in the console."""

from __future__ import annotations

import io

from presence_adapters.console import Console
from presence_bot.app import PresenceBot
from presence_bot.options import BotOptions
from presence_core import PresenceService
from presence_core.stores.memory import MemoryStore
from tests.support.chat import Chat
from tests.support.clock import FakeClock


def at_minute_start(clock: FakeClock) -> None:
    clock.advance(60_000 - clock.now % 60_000)


async def flood(chat: Chat, users: list[str], times: int, content: str = "/presence help who", *,
                channel: str = "room") -> None:
    for _ in range(times):
        for user in users:
            await chat.say(user, content, channel=channel)


async def test_three_accounts_flooding_do_not_silence_the_chat(chat: Chat, clock: FakeClock) -> None:
    at_minute_start(clock)
    await flood(chat, ["m1", "m2", "m3"], 20)
    for _ in range(3):  # repeatably
        assert (await chat.text("carol", "/presence who")).startswith("Here now")
        assert (await chat.text("dave", "/presence who")).startswith("Here now")


async def test_ten_accounts_flooding_spend_only_their_own_answers(chat: Chat, clock: FakeClock) -> None:
    at_minute_start(clock)
    flooders = [f"m{i}" for i in range(10)]
    await flood(chat, flooders, 25)
    assert (await chat.text("carol", "/presence who")).startswith("Here now")
    answered_after = [await chat.say(m, "/presence who") for m in flooders]
    assert all(sent == [] for sent in answered_after)
    clock.advance(60_000)
    assert (await chat.text("m1", "/presence who")).startswith("Here now")


async def test_the_chat_budget_still_caps_heavy_users(clock: FakeClock, chat: Chat) -> None:
    at_minute_start(clock)
    options = chat.bot.options
    heavy = [f"h{i}" for i in range(options.chat_commands_per_minute // options.user_commands_per_minute + 2)]
    answers = 0
    for user in heavy:
        for _ in range(options.user_commands_per_minute):
            answers += bool(await chat.say(user, "/presence help who"))
    assert answers < len(heavy) * options.user_commands_per_minute
    refused = [sent for user in heavy if (sent := await chat.say(user, "/presence help who"))]
    assert all("Slow down" in s[0].text for s in refused)


async def test_someone_refused_is_told_once_per_minute_in_words(chat: Chat, clock: FakeClock) -> None:
    at_minute_start(clock)
    limit = chat.bot.options.user_commands_per_minute
    await flood(chat, ["spammer"], limit)
    clock.advance(20_000)
    assert await chat.text("spammer", "/presence who") == "⏳ Slow down a little: try again in 40s."
    assert await chat.say("spammer", "/presence who") == []
    assert await chat.say("spammer", "/presence who", locale="zh-CN") == []


async def test_a_limited_person_still_gets_their_pending_confirmation_answered(chat: Chat, clock: FakeClock) -> None:
    at_minute_start(clock)
    await chat.say("alice", "/presence status secret")
    assert "Send yes" in await chat.text("alice", "/presence forget", channel="dm", direct=True)
    assert "Did you mean dnd?" in await chat.text("alice", "/presence dnf", channel="elsewhere")
    await flood(chat, ["alice"], 30, "/presence help", channel="third")  # now over her limit
    assert await chat.say("alice", "/presence who", channel="third") == []
    assert "Done: everything stored about you is erased" in await chat.text("alice", "yes", channel="dm", direct=True)
    assert (await chat.bot.service.get_status("test:alice")).custom_status is None
    assert "do not disturb" in await chat.text("alice", ".", channel="elsewhere")


async def test_the_console_is_one_local_person_and_never_limited(clock: FakeClock) -> None:
    service = PresenceService(MemoryStore(), clock=clock)
    presence_bot = PresenceBot(service, BotOptions(prompt_timeout_s=5))
    script = "/presence help who\n" * 40 + "/presence status secret\n:dm\n/presence forget\nyes\n"
    out = io.StringIO()
    await Console(presence_bot, io.StringIO(script), out).run()
    lines = out.getvalue().splitlines()
    assert not [line for line in lines if "Slow down" in line]
    assert lines.count("bot> /presence who — Who is online, away or busy in this chat") == 40
    assert lines[-2:] == ["bot> 🗑 Done: everything stored about you is erased.",
                          "bot> Your next message starts a new record."]
