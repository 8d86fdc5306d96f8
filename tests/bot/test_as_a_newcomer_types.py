"""What a newcomer typed and got wrong answers for, through the router, each with its kind."""

from __future__ import annotations

import pytest

from presence_core.service import PresenceService
from tests.support.chat import Chat

FAMILY = "👨\u200d👩\u200d👧"


# working hours ---------------------------------------------------------------------------------

@pytest.mark.parametrize("zone", ["localtime", "Factory", "posixrules", "posix/Europe/Berlin", "right/UTC"])
async def test_only_real_time_zones_are_accepted(chat: Chat, zone: str) -> None:
    first = (await chat.text("ann", f"/presence hours mon-fri 9-18 {zone}")).splitlines()[0]
    assert first.startswith(f"⚠️ I don't know the time zone {zone}.")
    assert (await chat.bot.service.get_availability("test:ann")).hours == ()


async def test_a_misspelled_day_gets_a_day_error_and_a_far_zone_no_suggestion(chat: Chat) -> None:
    assert (await chat.text("ann", "/presence hours funday 9-18")).splitlines()[0] == (
        "⚠️ funday is not a day. Did you mean sunday?")
    assert (await chat.text("ann", "/presence hours mon-fri 9-18 Mars/Olympus")).splitlines()[0] == (
        "⚠️ I don't know the time zone Mars/Olympus. Use an IANA name such as Europe/Berlin, or a city such as berlin.")


@pytest.mark.parametrize(("typed", "answer"), [
    ("/presence hours weekdays", "⚠️ Say the times for weekdays, e.g. weekdays 9-18."),
    ("/presence hours daily", "⚠️ Say the times for daily, e.g. daily 9-18."),
    ("/presence 工作时间 工作日", "⚠️ 请写出工作日的时间，例如：工作日 9-18。"),
])
async def test_a_day_word_alone_asks_for_its_times(chat: Chat, typed: str, answer: str) -> None:
    locale = "zh-CN" if "工作" in typed else None
    assert (await chat.text("ann", typed, locale=locale)).splitlines()[0] == answer


async def test_day_words_with_times_work_as_the_docs_show(chat: Chat) -> None:
    assert "Mon–Fri 09:00–18:00 (UTC)" in await chat.text("ann", "/presence hours weekdays 9-18")
    assert "Mon–Sun 08:00–20:00 (UTC)" in await chat.text("ann", "/presence hours daily 8-20")
    assert "周一–周五 09:00–18:00（UTC）" in await chat.text("ann", "/presence 工作时间 工作日 九点至十八点", locale="zh-CN")


# people ----------------------------------------------------------------------------------------

async def test_every_command_that_takes_a_person_accepts_a_bare_name(chat: Chat) -> None:
    await chat.say("ben", "hi")
    await chat.say("ann", "/presence dnd")
    assert (await chat.text("ann", "/presence ben")).startswith("🟢 ben: online.")
    await chat.say("ben", "/presence away")
    assert (await chat.text("ann", "/presence notify ben")).startswith("🔔 I'll tell you privately when ben")
    assert (await chat.text("ann", "/presence notify cancel ben")) == "🔕 No longer watching ben."


async def test_a_bare_display_name_is_accepted_but_never_picks_among_several(chat: Chat) -> None:
    await chat.say("b1", "/presence dnd", name="Ben Lee")
    await chat.say("ann", "hi")
    assert (await chat.text("ann", '/presence notify "Ben Lee"')).startswith("🔔 I'll tell you privately when Ben Lee")
    await chat.say("b2", "hi", name="Ben Lee")
    assert (await chat.text("ann", '/presence notify "ben lee"')).splitlines()[0] == (
        "⚠️ Several people here go by ben lee: mention the one you mean.")


async def test_unlink_takes_the_name_the_person_knows_the_account_by(chat: Chat) -> None:
    [sent] = await chat.say("alice", "/presence link")
    code = sent.text.split("link code: ")[1].split(".")[0]
    await chat.say("alice-phone", f"/presence link {code}", channel="other")
    assert await chat.text("alice", "/presence unlink alice-phone") == (
        "✂️ Unlinked test alice-phone: it is a separate account again.")


# numbers and durations ---------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "answer"), [
    ("/presence 容量 五", "📥 容量已设置：同时最多 5 件。"), ("/presence capacity ５", "📥 Capacity set: at most 5 at once."),
    ("/presence 容量五", "📥 容量已设置：同时最多 5 件。"), ("/presence capacity 十二", "📥 Capacity set: at most 12 at once."),
])
async def test_numbers_are_read_as_people_type_them(chat: Chat, typed: str, answer: str) -> None:
    assert (await chat.text("ann", typed, locale="zh-CN" if "容量" in typed else None)).splitlines()[0] == answer


async def test_every_numeric_argument_reads_chinese_numerals(chat: Chat) -> None:
    await chat.say("ann", "/presence capacity 9")
    assert (await chat.text("ann", "/presence take 两")).startswith("📥 Took 2 items. Load: 2/9.")
    assert (await chat.text("ann", "/presence done 一")).startswith("✅ Done. Load: 1/9.")
    assert (await chat.text("ann", "/presence activity 三")).startswith("Your last 3 activities:")


@pytest.mark.parametrize("typed", ["/presence dnd 1h1h", "/presence away 30m 30m", "/presence dnd 2h 3 hours"])
async def test_a_unit_given_twice_is_not_a_duration(chat: Chat, typed: str) -> None:
    assert (await chat.text("ann", typed)).splitlines()[0].endswith("is not a duration. Try 90s, 30m, 1.5h, 1h30m, 2d or 1w.")


# taking work -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("setup", "reason"), [
    ("/presence dnd", "you are on do not disturb"), ("/presence away", "you show as away"),
    ("/presence hours mon 0-1 Pacific/Kiritimati", "you are outside your working hours"),
])
async def test_not_being_able_to_take_work_says_why(chat: Chat, setup: str, reason: str) -> None:
    await chat.say("ann", setup)
    [sent] = await chat.say("ann", "/presence capacity 5")
    assert sent.text.splitlines()[1] == f"⏸ You can't take work right now (0/5): {reason}."
    assert not sent.reply.private


async def test_a_full_desk_says_so_and_a_hidden_reason_is_told_privately(chat: Chat) -> None:
    await chat.say("ann", "/presence capacity 2")
    assert (await chat.text("ann", "/presence take 2")).splitlines() == [
        "📥 Took 2 items. Load: full (2/2).", "⏸ You can't take work right now (full (2/2)): you are at your capacity."]
    await chat.say("ann", "/presence done 2")
    await chat.say("ann", "/presence offline")
    [sent] = await chat.say("ann", "/presence capacity 3")
    assert sent.reply.private and "you are invisible" in sent.text


async def test_done_says_only_what_changed(chat: Chat) -> None:
    await chat.say("ann", "/presence capacity 5")
    assert await chat.text("ann", "/presence done") == "✅ Nothing to finish: your load is already 0."
    await chat.say("ann", "/presence take 2")
    assert await chat.text("ann", "/presence done") == "✅ Done. Load: 1/5."
    await chat.say("ann", "/presence capacity 1")
    assert await chat.text("ann", "/presence done") == "✅ Done. Load: 0/1.\n✅ You can take work now (0/1)."


async def test_capacity_off_warns_about_pick_only_when_nothing_else_keeps_you_on_the_desk(chat: Chat) -> None:
    await chat.say("ann", "/presence capacity 5")
    assert "pick leave you out" in await chat.text("ann", "/presence capacity off")
    await chat.say("ann", "/presence capacity 5")
    await chat.say("ann", "/presence skills billing")
    await chat.say("ann", "/presence hours daily 0-24")
    answer = await chat.text("ann", "/presence capacity off")
    assert answer == "📥 Capacity off: no limit.\n✅ You can take work now (0)." and "pick" not in answer


# watches ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("hides", ["/presence offline", "/presence tracking off", "/presence away"])
async def test_watching_someone_hidden_is_answered_as_watching_anyone_unavailable(chat: Chat, hides: str) -> None:
    await chat.say("ann", "hi")
    await chat.say("ben", hides)
    assert await chat.text("ann", "/presence notify @ben", mentions={"@ben": "test:ben"}) == (
        "🔔 I'll tell you privately when ben is next available (within 1d).")


# custom status -----------------------------------------------------------------------------------

async def test_a_custom_status_is_as_long_as_what_people_see(chat: Chat, service: PresenceService) -> None:
    assert (await chat.text("ann", f"/presence status {FAMILY * 200}")).splitlines()[0] == (
        "⚠️ That custom status is 200 characters long; the limit is 128.")
    assert (await chat.text("ann", f"/presence status {FAMILY * 128}")).startswith("💬 Custom status set:")
    await service.set_custom_status("test:zoe", FAMILY * 128)
    assert (await service.get_status("test:zoe")).custom_status == FAMILY * 128


async def test_the_bot_never_shows_the_developer_wording(chat: Chat) -> None:
    for typed in ('/presence status "   "', "/presence status \u200b", "/presence status"):
        answer = await chat.text("alice", typed)
        assert answer.splitlines()[0] == "⚠️ Say what your status is." and "clear_custom_status" not in answer
