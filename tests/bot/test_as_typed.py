"""Commands exactly as people type them, in English and Chinese (issue 12): statuses, durations, emoji, echoes."""

from __future__ import annotations

import pytest

from presence_bot.text import ECHO_LIMIT, echo, sanitize
from tests.support.chat import Chat
from tests.support.clock import FakeClock

ZH = {"locale": "zh-CN"}


async def custom(chat: Chat, user: str = "alice") -> tuple[str | None, int | None]:
    me = await chat.bot.service.get_status(f"test:{user}", viewer_id=f"test:{user}")
    return me.custom_status, me.custom_status_expires_at


# custom statuses: "for" starts an expiry only when a duration follows -----------------------------

@pytest.mark.parametrize("typed", [
    "Out for lunch", "Working from home for now", "for real", "waiting for Godot", "out for a walk",
    "在等 for 朋友", "Looking for 2 volunteers",
])
async def test_a_status_with_for_and_no_duration_after_it_is_all_text(chat: Chat, typed: str) -> None:
    assert await chat.text("alice", f"/presence status {typed}") == f"💬 Custom status set: {typed}"
    assert await custom(chat) == (typed, None)


@pytest.mark.parametrize(("typed", "text", "minutes"), [
    ("in a meeting for 2h", "in a meeting", 120),
    ("Out for lunch for 1h 30m", "Out for lunch", 90),
    ("out for a walk for 1.5h", "out for a walk", 90),
    ("开会 持续 两小时", "开会", 120),
    ("开会 持续两小时", "开会", 120),
    ("开会 for 半小时", "开会", 30),
])
async def test_a_status_ending_in_for_and_a_duration_expires(chat: Chat, clock: FakeClock, typed: str, text: str,
                                                            minutes: int) -> None:
    await chat.say("alice", f"/presence status {typed}")
    assert await custom(chat) == (text, clock.now + minutes * 60_000)


async def test_a_quoted_for_is_text_too(chat: Chat) -> None:
    await chat.say("alice", '/presence status "back for 2h"')
    assert await custom(chat) == ("back for 2h", None)


# durations: every status word, with or without "for" ----------------------------------------------

@pytest.mark.parametrize("word", ["away", "dnd", "offline", "离开", "勿扰", "隐身"])
@pytest.mark.parametrize(("typed", "minutes"), [
    ("for 10m", 10), ("10m", 10), ("1.5h", 90), ("1w", 7 * 24 * 60), ("90s", 1.5), ("1h 30m", 90),
    ("持续 半小时", 30), ("持续半小时", 30),
])
async def test_every_status_word_takes_a_duration_with_or_without_for(chat: Chat, clock: FakeClock, word: str,
                                                                     typed: str, minutes: float) -> None:
    [sent] = await chat.say("alice", f"/presence {word} {typed}")
    assert "Your status is now" in sent.text, sent.text
    me = await chat.bot.service.get_status("test:alice", viewer_id="test:alice")
    assert me.expires_at == clock.now + int(minutes * 60_000)


@pytest.mark.parametrize(("typed", "error"), [
    ("/presence dnd 30s", "⚠️ A duration here must be between 1m and 365d."),
    ("/presence dnd 53w", "⚠️ A duration here must be between 1m and 365d."),
    ("/presence dnd for", "⚠️ Say how long, e.g. 30m, 2h, 1h30m or 1d."),
    ("/presence activity 3 since", "⚠️ Say how long, e.g. 30m, 2h, 1h30m or 1d."),
    ("/presence activity since", "⚠️ Say how long, e.g. 30m, 2h, 1h30m or 1d."),
    ("/presence activity since soon", "⚠️ soon is not a duration. Try 90s, 30m, 1.5h, 1h30m, 2d or 1w."),
    ("/presence dnd for lunch", "⚠️ lunch is not a duration. Try 90s, 30m, 1.5h, 1h30m, 2d or 1w."),
    ("/presence online for 2h", "⚠️ online can't have a duration: it already returns to automatic."),
])
async def test_durations_out_of_range_or_missing_get_a_real_error(chat: Chat, typed: str, error: str) -> None:
    first, usage = (await chat.text("alice", typed)).splitlines()
    assert first == error and usage.startswith("Usage: /presence")


# Chinese as people type it ---------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "duration"), [
    ("/presence 勿扰30分钟", "30分钟"), ("/presence 勿扰 30分钟", "30分钟"), ("/presence 勿扰 半小时", "30分钟"),
    ("/presence 勿扰半小时", "30分钟"), ("/presence 勿扰 两小时", "2小时"), ("/presence 勿扰 一小时", "1小时"),
    ("/presence 勿扰 五分钟", "5分钟"), ("/presence 勿扰 一个半小时", "1小时30分钟"),
    ("/presence 勿扰 2 小时", "2小时"), ("/presence 勿扰 2個小時", "2小时"), ("/presence 勿擾 兩小時", "2小时"),
    ("/presence 勿扰 ３０分钟", "30分钟"), ("/presence\u3000勿扰\u3000十五分钟", "15分钟"),
    ("/presence 勿扰 一刻钟", "15分钟"), ("/presence 勿扰 1小时零5分", "1小时5分钟"),
    ("／presence 勿扰 二十分钟", "20分钟"),
])
async def test_chinese_durations_as_typed(chat: Chat, typed: str, duration: str) -> None:
    assert await chat.text("li", typed, **ZH) == f"⛔ 你的状态已设为请勿打扰，持续 {duration}。"


@pytest.mark.parametrize("typed", ["/presence 状态：开会", "/presence 状态:开会", "/presence 状态： 开会",
                                   "/presence 状态 开会", "/presence 状态开会", "/presence status: 开会",
                                   "/presence 狀態：开会"])
async def test_a_chinese_status_with_a_colon_or_none(chat: Chat, typed: str) -> None:
    assert await chat.text("li", typed, **ZH) == "💬 自定义状态已设置：开会"


@pytest.mark.parametrize(("typed", "text"), [
    ("/presence 状态：“在 路上”", "在 路上"), ("/presence 状态「开会 中」", "开会 中"), ('/presence status:"on a call"', "on a call"),
    ("/presence 状态，午饭", "午饭"),
])
async def test_quotes_right_after_the_colon_still_quote(chat: Chat, typed: str, text: str) -> None:
    assert await chat.text("li", typed, **ZH) == f"💬 自定义状态已设置：{text}"


@pytest.mark.parametrize("typed", ["/presence 勿扰，30分钟", "/presence 勿扰、30分钟", "/presence dnd, 30m",
                                   "/presence 勿扰:三十分钟", "/presence 勿扰 1小时30"])
async def test_a_comma_after_the_command_word_is_a_separator_too(chat: Chat, typed: str) -> None:
    assert (await chat.text("li", typed, **ZH)).startswith("⛔ 你的状态已设为请勿打扰，持续 ")


async def test_did_you_mean_suggests_a_word_the_help_lists(chat: Chat) -> None:
    assert "你是想用 遗忘 吗" in await chat.text("li", "/presence 忘记了", **ZH)
    assert "Did you mean forget?" in await chat.text("bob", "/presence 忘记了")
    assert "Send yes within" in await chat.text("li", "/presence 忘记", direct=True)


@pytest.mark.parametrize("typed", ["/presence 谁在线", "/presence 谁", "/presence 誰在線", "/presence WHO",
                                   "/presence ｗｈｏ"])
async def test_who_in_every_way_people_ask(chat: Chat, typed: str) -> None:
    await chat.say("bob", "hi")
    text = await chat.text("li", typed, **ZH)
    assert text.startswith("当前在这里（2）：") and "在线 吗" not in text


async def test_who_online_is_not_a_did_you_mean_for_online(chat: Chat) -> None:
    [sent] = await chat.say("li", "/presence 谁在线", **ZH)
    assert "你是想用" not in sent.text
    assert (await chat.bot.service.get_status("test:li")).manual is False


@pytest.mark.parametrize(("typed", "expected"), [
    ("/presence 活动5", "你最近的 1 条活动："), ("/presence 活动 最近 两小时", "你最近的 1 条活动："),
    ("/presence 我", "你的状态：在线"), ("/presence 我的状态", "你的状态：在线"),
    ("/presence 追踪 关", "活动记录已关闭"), ("/presence 状态 清除", "自定义状态已清除"),
])
async def test_other_chinese_words_as_typed(chat: Chat, typed: str, expected: str) -> None:
    assert expected in await chat.text("li", typed, **ZH)


async def test_the_chinese_help_lists_the_chinese_words_that_work(chat: Chat) -> None:
    text = await chat.text("li", "/presence 帮助", **ZH)
    for words in ("谁、谁在线", "勿扰", "隐身、离线", "状态", "活动", "设备", "绑定", "解绑", "遗忘", "帮助",
                  "半小时", "两小时", "一个半小时", "持续", "清除"):
        assert words in text, words
    assert "誰" not in text  # Traditional forms are understood, not listed


async def test_the_english_help_documents_the_durations(chat: Chat) -> None:
    text = await chat.text("alice", "/presence help")
    assert "Durations: from 1 minute to 365 days, e.g. 90s, 30m, 1.5h, 1h30m, 2d, 1w." in text
    assert "/presence (or me) — " in text


# emoji: the joiner stays inside emoji, invisible characters go elsewhere ------------------------

@pytest.mark.parametrize("emoji", ["🏳️‍🌈", "👨‍👩‍👧", "👍🏽", "1️⃣", "🧑🏾‍💻", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "❤️‍🔥", "🇨🇳", "🫨"])
async def test_emoji_sequences_survive_whole(chat: Chat, emoji: str) -> None:
    await chat.say("alice", f"/presence status away {emoji}")
    assert (await custom(chat))[0] == f"away {emoji}"
    assert f"💬 away {emoji}" in await chat.text("bob", "/presence @alice", mentions={"@alice": "test:alice"})


@pytest.mark.parametrize(("typed", "kept"), [
    ("a\u200bb", "ab"), ("a\u200db", "ab"), ("\u202eevil", "evil"), ("x\u2066y\u2069", "xy"), ("x\ufeff", "x"),
    ("👍\u200d", "👍"), ("👍\u200dx", "👍x"), ("\u200d👍", "👍"), ("x\U000e0067", "x"), ("a\u061cb", "ab"),
])
def test_zero_width_and_bidi_controls_are_still_removed_outside_emoji(typed: str, kept: str) -> None:
    assert sanitize(typed) == kept


# echoes: what the bot repeats of what was typed is short ----------------------------------------

LONG = 10_000


@pytest.mark.parametrize("typed", [
    "/presence " + "x" * LONG, "/presence " + "🏳️‍🌈" * LONG, "/presence dnd " + "9" * LONG,
    "/presence activity " + "9" * LONG, "/presence activity since " + "y" * LONG,
    "/presence who " + "z" * LONG, "/presence @" + "g" * LONG, "/presence help " + "h" * LONG,
    "/presence online " + "o" * LONG, "/presence status hi for " + "1h" * LONG, "/presence 勿扰 " + "慢" * LONG,
    "/presence tracking " + "t" * LONG, "/presence forget " + "f" * LONG, "/presence 状态：" + "忙" * LONG,
], ids=lambda typed: f"{typed[:24]}…")
async def test_errors_echo_only_a_short_cut_piece_of_what_was_typed(chat: Chat, typed: str) -> None:
    for locale in ("en", "zh-CN"):
        [sent] = await chat.say("alice", typed, locale=locale)
        first = sent.text.splitlines()[0]
        assert len(first) < ECHO_LIMIT + 80, first
        assert first.startswith("⚠️"), first


async def test_the_echoed_piece_is_cut_where_it_is_shown(chat: Chat) -> None:
    first = (await chat.text("alice", "/presence dnd " + "9" * LONG)).splitlines()[0]
    assert first == f"⚠️ {'9' * ECHO_LIMIT}… is not a duration. Try 90s, 30m, 1.5h, 1h30m, 2d or 1w."
    first = (await chat.text("alice", "/presence " + "xyz" * LONG, locale="zh-CN")).splitlines()[0]
    assert first == f"⚠️ 没有 {('xyz' * LONG)[:ECHO_LIMIT]}… 这个命令。"


def test_echo_cuts_between_whole_emoji() -> None:
    cut = echo("🏳️‍🌈" * 100)
    assert cut.endswith("…") and cut[:-1] == "🏳️‍🌈" * (len(cut[:-1]) // len("🏳️‍🌈"))
    assert echo("short") == "short"
