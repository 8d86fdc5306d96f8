"""Every /presence command through the bot, and the bad input people actually type."""

from __future__ import annotations

import pytest

from presence_core import StoreUnavailableError

from tests.support.chat import Chat
from tests.support.clock import FakeClock


async def test_plain_messages_are_recorded_but_not_answered(chat: Chat) -> None:
    assert await chat.say("alice", "hello everyone") == []
    assert (await chat.bot.service.get_status("test:alice")).status == "online"


async def test_bare_presence_shows_your_own_status(chat: Chat) -> None:
    text = await chat.text("alice", "/presence")
    assert "Your status: online" in text and "Last seen: just now" in text and "1 device" in text and "device(s)" not in text


async def test_commands_are_recorded_as_activity_too(chat: Chat) -> None:
    await chat.say("alice", "/presence who")
    assert [e.type for e in await chat.bot.service.get_activity("test:alice")] == ["command"]


async def test_who_lists_people_seen_here(chat: Chat) -> None:
    await chat.say("bob", "hi")
    await chat.say("carol", "hi", channel="elsewhere")
    text = await chat.text("alice", "/presence who")
    assert "Here now (2)" in text and "bob · online" in text and "carol" not in text


async def test_set_status_with_duration_and_back_to_online(chat: Chat, clock: FakeClock) -> None:
    assert "now do not disturb for 2h" in await chat.text("alice", "/presence dnd 2h")
    assert "(set by you, ends in 2h)" in await chat.text("alice", "/presence")
    assert "online" in await chat.text("alice", "/presence online")
    assert "Your status: online." in await chat.text("alice", "/presence")
    assert "now away" in await chat.text("alice", "/presence away")
    assert "now offline for 1h 30m" in await chat.text("alice", "/presence offline 1h30m")


async def test_invisible_self_view_is_answered_privately_in_a_group(chat: Chat) -> None:
    await chat.say("alice", "/presence offline")
    [sent] = await chat.say("alice", "/presence")
    assert sent.reply.private and "invisible" in sent.text


async def test_custom_status_with_quotes_and_expiry(chat: Chat, clock: FakeClock) -> None:
    assert "set for 1h: 交易 BTC" in await chat.text("alice", '/presence status "交易 BTC" for 1h')
    assert "交易 BTC" in await chat.text("bob", "/presence @alice", mentions={"@alice": "test:alice"})
    clock.advance(minutes=60)
    assert "交易" not in await chat.text("alice", "/presence")


async def test_custom_status_without_quotes_and_clear(chat: Chat) -> None:
    assert "set: on a call" in await chat.text("alice", "/presence status on a call")
    assert "cleared" in await chat.text("alice", "/presence status clear")
    assert 'set: clear' in await chat.text("alice", '/presence status "clear"')


async def test_looking_someone_up_by_mention_reply_and_name(chat: Chat) -> None:
    await chat.say("bob", "hello")
    assert "bob: online" in await chat.text("alice", "/presence @bob", mentions={"@bob": "test:bob"})
    assert "bob: online" in await chat.text("alice", "/presence", reply_to="test:bob")
    assert "bob: online" in await chat.text("alice", "/presence @bob")


async def test_others_see_a_coarse_last_seen(chat: Chat, clock: FakeClock) -> None:
    await chat.say("bob", "hello")
    clock.advance(minutes=20)
    text = await chat.text("alice", "/presence @bob")
    assert "Last seen: within the hour" in text and "20m" not in text


async def test_activity_and_devices_are_private(chat: Chat) -> None:
    await chat.say("alice", "hello")
    [activity] = await chat.say("alice", "/presence activity 5")
    assert activity.reply.private and "message here" in activity.text
    [devices] = await chat.say("alice", "/presence devices")
    assert devices.reply.private and "▶ test" in devices.text


async def test_activity_since_a_duration(chat: Chat, clock: FakeClock) -> None:
    await chat.say("alice", "old")
    clock.advance(minutes=90)
    await chat.say("alice", "new")
    text = await chat.text("alice", "/presence activity since 1h")
    assert "last 2 activities" in text


async def test_sync_reports_synced_over_total(chat: Chat) -> None:
    assert "Synced 1/1 device ·" in await chat.text("alice", "/presence sync")


async def test_link_and_unlink_across_two_accounts_then_dnd_shows_on_both(chat: Chat) -> None:
    await chat.say("tg", "hi")
    [sent] = await chat.say("tg", "/presence link")
    assert sent.reply.private
    code = sent.text.split("link code: ")[1].split(".")[0]
    assert "Linked" in await chat.text("dc", f"/presence link {code}", channel="other")
    await chat.say("tg", "/presence dnd")
    assert "do not disturb" in await chat.text("dc", "/presence", channel="other")
    assert "Unlinked" in await chat.text("tg", "/presence unlink test:dc")
    assert "Your status: online" in await chat.text("dc", "/presence", channel="other")


async def test_tracking_off_then_on(chat: Chat) -> None:
    assert "Tracking is off" in await chat.text("alice", "/presence tracking off")
    assert "Tracking is on" in await chat.text("alice", "/presence tracking on")
    assert "on or off" in await chat.text("alice", "/presence tracking maybe")


async def test_forget_asks_first_and_erases_on_yes(chat: Chat) -> None:
    await chat.say("alice", "/presence status secret")
    assert "Send yes within 5 seconds" in await chat.text("alice", "/presence forget", direct=True)
    assert "erased" in await chat.text("alice", "yes", direct=True)
    assert (await chat.bot.service.get_status("test:alice")).custom_status is None


async def test_forget_is_cancelled_by_anything_but_yes(chat: Chat) -> None:
    await chat.say("alice", "/presence status keep me")
    await chat.say("alice", "/presence forget", direct=True)
    assert "Cancelled" in await chat.text("alice", "no thanks", direct=True)
    assert (await chat.bot.service.get_status("test:alice")).custom_status == "keep me"


async def test_an_open_question_blocks_no_one_and_ends_unanswered_at_shutdown(chat: Chat) -> None:
    await chat.say("alice", "/presence forget", direct=True)
    assert "Here now" in await chat.text("bob", "/presence who")
    assert "Here now" in await chat.text("alice", "/presence who", channel="elsewhere")
    await chat.bot.close()
    assert "Cancelled" in chat.outbox.sent[-1].text


async def test_typo_gets_did_you_mean_and_dot_runs_it(chat: Chat) -> None:
    text = await chat.text("alice", "/presence dnf 2h")
    assert "Did you mean dnd? Send . to run it." in text
    assert "do not disturb for 2h" in await chat.text("alice", ".")


async def test_help_lists_every_command_and_explains_one(chat: Chat) -> None:
    text = await chat.text("alice", "/presence help")
    for word in ("who", "activity", "dnd", "status", "devices", "sync", "link", "unlink", "tracking", "forget"):
        assert f"/presence {word}" in text
    assert await chat.text("alice", "/presence help dnd") == "/presence dnd [DURATION] — Do not disturb, optionally for a while"


async def test_chinese_locale_and_chinese_command_words(chat: Chat) -> None:
    assert "你的状态已设为请勿打扰，持续 30分钟" in await chat.text("li", "/presence 勿扰 30分钟", locale="zh-CN")
    assert "当前在这里" in await chat.text("li", "/presence who", locale="zh")


async def test_telegram_style_bot_suffix_is_ours_and_other_bots_are_ignored(chat: Chat) -> None:
    assert await chat.say("alice", "/presence@PresenceBot who", self_name="presencebot")
    assert await chat.say("alice", "/presence@OtherBot who", self_name="PresenceBot") == []
    assert await chat.say("alice", "/presencex who") == []
    assert await chat.say("alice", "/start") == []


@pytest.mark.parametrize(("content", "error", "usage"), [
    ("/presence dnd 2x", "2x is not a duration", "/presence dnd [DURATION]"),
    ("/presence dnd 0m", "between 1m and 365d", "/presence dnd"),
    ("/presence dnd 400d", "between 1m and 365d", "/presence dnd"),
    ("/presence online 2h", "online can't have a duration", "/presence online"),
    ('/presence status "unclosed', "The quote \" is never closed", "/presence status"),
    ("/presence status “unclosed", "The quote “ is never closed", "/presence status"),
    ("/presence status", "Say what your status is", "/presence status"),
    ("/presence status \u200b\u202e", "Say what your status is", "/presence status"),
    ("/presence status " + "x" * 200, "200 characters long; the limit is 128", "/presence status"),
    ("/presence status hi for 400d", "between 1m and 365d", "/presence status"),
    ("/presence activity 99", "99 is not a number from 1 to 50", "/presence activity"),
    ("/presence activity lots", "lots is not a number", "/presence activity"),
    ("/presence who now", "I didn't expect now here", "/presence who"),
    ("/presence @ghost", "I haven't seen @ghost in this chat", "/presence @user"),
    ("/presence xyzzy", "I don't know the command xyzzy", "/presence"),
    ("/presence link WRONGCODE", "unknown, already used or expired", "/presence link"),
    ("/presence unlink discord", "no linked accounts", "/presence unlink"),
    ("/presence help nope", "I don't know the command nope", "/presence help"),
])
async def test_bad_input_gets_one_clear_error_and_the_usage_line(chat: Chat, content: str, error: str,
                                                                 usage: str) -> None:
    [sent] = await chat.say("alice", content)
    first, second = sent.text.splitlines()
    assert error in first and first.startswith("⚠️")
    assert second.startswith(f"Usage: {usage}")


async def test_hostile_text_is_stored_sanitized_and_rendered_escaped(chat: Chat) -> None:
    await chat.say("alice", '/presence status <a href="x">@everyone</a> \u202eevil')
    [sent] = await chat.say("bob", "/presence @alice", mentions={"@alice": "test:alice"})
    assert "&lt;a href=\"x\"&gt;@\u200beveryone&lt;/a&gt; evil" in sent.reply.render("telegram_html")
    assert "@\u200beveryone" in sent.reply.render("discord_markdown")


async def test_emoji_and_huge_messages_never_break_the_bot(chat: Chat) -> None:
    assert await chat.say("alice", "🚀" * 10_000) == []
    [sent] = await chat.say("alice", "/presence " + "🚀" * 10_000)
    assert "I don't know the command" in sent.text


async def test_one_person_cannot_make_the_bot_spam_a_chat(chat: Chat, clock: FakeClock) -> None:
    limit = chat.bot.options.user_commands_per_minute
    clock.advance(60_000 - clock.now % 60_000)
    answers = [await chat.say("spammer", "/presence who") for _ in range(limit + 5)]
    assert all(len(a) == 1 for a in answers[:limit])
    assert "Slow down" in answers[limit][0].text
    assert all(a == [] for a in answers[limit + 1:])
    assert await chat.say("someone", "/presence who")
    clock.advance(60_000)
    assert await chat.say("spammer", "/presence who")


async def test_a_flood_of_plain_messages_is_recorded_without_replies(chat: Chat) -> None:
    assert [await chat.say("chatty", f"message {i}") for i in range(100)] == [[]] * 100
    assert len(await chat.bot.service.get_activity("test:chatty", limit=50)) == 50


async def test_a_personal_answer_reached_through_did_you_mean_stays_private(chat: Chat) -> None:
    await chat.say("alice", "/presence activty")
    [sent] = await chat.say("alice", ".")
    assert sent.reply.private and "Your last" in sent.text


async def test_while_the_store_is_unavailable_commands_say_so_and_messages_are_kept(chat: Chat) -> None:
    store = chat.bot.service.store
    originals = {name: getattr(store, name) for name in ("load", "resolve", "hit", "channel_people", "record")}

    async def unavailable(*args: object, **kwargs: object) -> None:
        raise StoreUnavailableError("down for the test")
    for name in originals:
        setattr(store, name, unavailable)
    assert await chat.say("alice", "hello while down") == []
    for command in ("/presence", "/presence who", "/presence dnd", "/presence activity"):
        [sent] = await chat.say("alice", command)
        assert sent.text == "⚠️ Presence data is temporarily unavailable. Try again in a moment."
    for name, method in originals.items():
        setattr(store, name, method)
    await chat.bot.service.close()
    assert len(await chat.bot.service.get_activity("test:alice", limit=50)) == 5


@pytest.mark.parametrize(("typed", "locale", "first"), [
    ("/presence who?", None, "Here now (1):"),
    ("/presence who？", None, "Here now (1):"),
    ("/presence help!", None, None),
    ("/presence dnd! 1h", None, "⛔ Your status is now do not disturb for 1h."),
    ("/presence 谁在线？", "zh-CN", "当前在这里（1）："),
    ("/presence 勿扰！", "zh-CN", "⛔ 你的状态已设为请勿打扰。"),
    ("/presence 帮助。", "zh-CN", None),
])
async def test_a_command_word_ending_like_a_sentence_just_works(chat: Chat, typed: str, locale: str | None,
                                                                 first: str | None) -> None:
    answer = await chat.text("newbie", typed, locale=locale, channel="empty")
    assert "know the command" not in answer and "不认识" not in answer and "Did you mean" not in answer
    if first is not None:
        assert answer.splitlines()[0] == first


@pytest.mark.parametrize(("typed", "locale", "answer"), [
    ("/presence dnd off", None, "⚠️ off is not a duration. To go back to your automatic status, send /presence online.\n"
                                "Usage: /presence dnd [DURATION]"),
    ("/presence away OFF", None, "⚠️ OFF is not a duration. To go back to your automatic status, send /presence online.\n"
                                 "Usage: /presence away [DURATION]"),
    ("/presence 勿扰 关", "zh-CN", "⚠️ 关 不是时长。要恢复自动状态，请发送 /presence online（在线）。\n"
                                 "用法：/presence dnd [时长]"),
])
async def test_a_status_turned_off_points_to_online(chat: Chat, typed: str, locale: str | None, answer: str) -> None:
    assert await chat.text("ann", typed, locale=locale) == answer
    assert not (await chat.bot.service.get_status("test:ann")).manual


@pytest.mark.parametrize(("typed", "first"), [
    ("/presence 追踪", "⚠️ 请写 开 或 关（on、off 也行）。"),
    ("/presence 追踪 也许", "⚠️ 请写 开 或 关（on、off 也行）。"),
])
async def test_chinese_usage_lines_show_the_chinese_words(chat: Chat, typed: str, first: str) -> None:
    assert (await chat.text("ann", typed, locale="zh-CN")).splitlines() == [first, "用法：/presence tracking 开|关"]
