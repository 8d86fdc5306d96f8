"""Replies worded per locale (issue 12): plural forms, remaining times, channel names in the activity log."""

from __future__ import annotations

import re

import pytest

from presence_bot import i18n
from tests.support.chat import Chat
from tests.support.clock import FakeClock


def test_every_english_text_that_counts_something_has_plural_forms() -> None:
    """A number next to a noun needs one/other forms; a count in parentheses ("Here now (3):") does not."""
    single = [key for key, text in i18n.catalog("en").items()
              if isinstance(text, str) and re.search(r"(?<!\()\{count\}", text)]
    assert single == []
    assert not [key for key, text in i18n.strings("en").items() if "(s)" in text]


@pytest.mark.parametrize(("command", "one", "many"), [
    ("/presence", "Active device: test · 1 device", None),
    ("/presence sync", "🔄 Synced 1/1 device ·", None),
    ("/presence activity", "Your last activity:", "Your last 2 activities:"),
])
async def test_one_of_something_is_said_in_the_singular(chat: Chat, command: str, one: str, many: str | None) -> None:
    text = await chat.text("alice", command)
    assert one in text and "(s)" not in text
    if many is not None:
        assert many in await chat.text("alice", command)


async def test_a_link_code_and_a_forget_question_count_their_time(chat: Chat) -> None:
    assert "Within 10 minutes, send" in await chat.text("alice", "/presence link")
    assert "within 5 seconds to confirm" in await chat.text("alice", "/presence forget", direct=True)


@pytest.mark.parametrize(("locale", "expected"), [
    ("en", "⚫ You are invisible (ends in 30m): others see you offline."),
    ("zh-CN", "⚫ 你处于隐身状态（30分钟后结束）：其他人看到你离线。"),
])
async def test_time_left_reads_naturally_and_is_not_off_by_a_second(chat: Chat, clock: FakeClock, locale: str,
                                                                      expected: str) -> None:
    await chat.say("alice", "/presence offline 30m")
    clock.advance(1)
    assert (await chat.text("alice", "/presence", locale=locale)).splitlines()[0] == expected


async def test_remaining_time_rounds_up_to_the_minute(chat: Chat, clock: FakeClock) -> None:
    await chat.say("alice", "/presence dnd 2h")
    clock.advance(minutes=30, ms=1)
    assert "(set by you, ends in 1h 30m)" in await chat.text("alice", "/presence")
    clock.advance(minutes=89, ms=45_000)
    assert "(set by you, ends in 14s)" in await chat.text("alice", "/presence")


# the activity log names channels as the person knows them --------------------------------------

async def test_the_activity_log_names_channels_not_ids(chat: Chat) -> None:
    await chat.say("alice", "hello team", channel="dev-team", channel_name="Dev Team 🚀")
    await chat.say("alice", "hi", channel="lobby", channel_name="#lobby")
    await chat.say("alice", "psst", channel="dm/alice", direct=True)
    text = await chat.text("alice", "/presence activity", channel="lobby", channel_name="#lobby")
    assert text.splitlines()[1:] == ["just now · command here", "just now · message in a direct chat",
                                     "just now · message here", "just now · message in Dev Team 🚀"]
    assert "test:" not in text
    zh = await chat.text("alice", "/presence 活动", channel="dm/alice", direct=True, locale="zh-CN")
    assert "刚刚 · 在 Dev Team 🚀 的消息" in zh and "刚刚 · 在这里的消息" in zh and "test:" not in zh


async def test_a_renamed_channel_shows_its_new_name(chat: Chat) -> None:
    await chat.say("alice", "hello", channel="g", channel_name="Old name")
    await chat.say("alice", "hello", channel="g", channel_name="New name")
    assert "message in New name" in await chat.text("alice", "/presence activity", channel="x", channel_name="X")


async def test_a_channel_name_is_written_once_per_process_not_per_message(chat: Chat) -> None:
    store = chat.bot.service.store
    writes: list[dict[str, str]] = []
    original = store.name_channels

    async def counting(names: dict[str, str]) -> None:
        writes.append(dict(names))
        await original(names)
    store.name_channels = counting  # type: ignore[method-assign]
    for _ in range(20):
        await chat.say("alice", "chatty", channel="g", channel_name="Group")
    await chat.say("alice", "chatty", channel="g", channel_name="Group (renamed)")
    assert writes == [{"test:g": "Group"}, {"test:g": "Group (renamed)"}]


# "since" shows everything that fits, and says when there is more -------------------------------

async def test_since_shows_up_to_the_maximum_and_says_when_more_exist(chat: Chat, clock: FakeClock) -> None:
    for i in range(60):
        await chat.say("alice", f"message {i}")
        clock.advance(minutes=1)
    text = await chat.text("alice", "/presence activity since 2d")
    lines = text.splitlines()
    assert lines[0] == "Your last 50 activities:" and len(lines) == 52
    assert lines[-1] == "Only the newest 50 of that time are shown: there were more. Try a shorter time."
    text = await chat.text("alice", "/presence activity since 10m")
    assert text.splitlines()[0] == "Your last 12 activities:" and "Only the newest" not in text
    zh = await chat.text("alice", "/presence activity since 2d", locale="zh-CN")
    assert zh.splitlines()[-1] == "只显示了这段时间内最新的 50 条，实际还有更多。可以把时间范围缩短。"


async def test_a_count_shows_that_many_and_says_when_older_ones_exist(chat: Chat) -> None:
    for i in range(12):
        await chat.say("alice", f"message {i}")
    lines = (await chat.text("alice", "/presence activity")).splitlines()
    assert lines[0] == "Your last 10 activities:" and len(lines) == 12
    assert lines[-1] == "Only the newest 10 are shown; there are older ones (up to 50 at a time)."
    lines = (await chat.text("alice", "/presence activity 5 since 1h")).splitlines()
    assert len(lines) == 7 and lines[-1].startswith("Only the newest 5 are shown")
    assert (await chat.text("alice", "/presence activity 50")).splitlines()[0] == "Your last 15 activities:"


async def test_nothing_in_that_time_says_so(chat: Chat, clock: FakeClock) -> None:
    await chat.say("alice", "old")
    clock.advance(minutes=120)
    text = await chat.text("bob", "/presence activity since 1h")
    assert text == "Your last activity:\njust now · command here"
