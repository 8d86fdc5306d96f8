"""Replays, late updates and a host clock that disagrees with Telegram's (SPEC sections 4 and 10), end to end."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fake_bot_api import FakeBotApi
from harness import Telegram, polling_settings, running
from telegram_updates import GROUP, Messages, Person

from presence_bot.app import PresenceBot
from presence_core.policy import HOUR_MS, MINUTE_MS
from presence_core.service import PresenceService
from tests.support.clock import FakeClock

ALICE = Person(42, "Alice", "alice")
BOB = Person(43, "Bob", "bob")


def heard_by(presence: PresenceService) -> list[tuple[str, str]]:
    heard: list[tuple[str, str]] = []
    presence.on("status_change", lambda user, old, new: heard.append((old, new)))
    return heard


async def test_an_edit_that_leaves_a_command_unchanged_is_not_answered_again(
        telegram: Telegram, messages: Messages, presence: PresenceService) -> None:
    asked = messages.message(ALICE, GROUP, "/presence who https://example.com")
    await telegram.ask(asked)

    # Telegram sends such an edit when the link preview (or a reaction) changes.
    await telegram.deliver(messages.edited(asked, "/presence who https://example.com", seconds_later=2))
    [answer] = await telegram.ask(messages.edited(asked, "/presence help", seconds_later=30))

    assert len(telegram.api.sent) == 2
    assert answer.text != telegram.api.sent[0].text
    assert [e.type for e in await presence.get_activity("telegram:42")] == ["command", "command"]


async def test_the_same_message_delivered_twice_is_answered_and_recorded_once(
        telegram: Telegram, messages: Messages, presence: PresenceService) -> None:
    asked = messages.message(ALICE, GROUP, "/presence who")

    await telegram.deliver(asked, asked)
    await telegram.api.wait_sent(1)
    await telegram.deliver(messages.message(ALICE, GROUP, "gm"))

    assert len(telegram.api.sent) == 1
    assert len(await presence.get_activity("telegram:42")) == 2


async def test_a_message_three_hours_old_keeps_its_age_and_fires_nothing(
        telegram: Telegram, messages: Messages, presence: PresenceService, clock: FakeClock) -> None:
    heard = heard_by(presence)

    await telegram.deliver(messages.late(messages.message(BOB, GROUP, "gm"), 3 * HOUR_MS))
    await presence.sweep()

    status = await presence.get_status("telegram:43")
    assert status.status == "offline"
    assert status.last_seen == (clock.now - 3 * HOUR_MS) // 1000 * 1000
    assert heard == []


async def test_a_backlog_waiting_at_start_keeps_its_age(api: FakeBotApi, messages: Messages,
                                                       presence: PresenceService) -> None:
    """The first updates after a start are a backlog; Telegram's responses date them right."""
    heard = heard_by(presence)
    await api.push(messages.late(messages.message(BOB, GROUP, "still there?"), 10 * MINUTE_MS))
    presence_bot = PresenceBot(presence)

    async with running(api, polling_settings(api), presence_bot) as telegram:
        await telegram.handled.reach(1)
        await presence.sweep()

    assert (await presence.get_status("telegram:43")).status == "away"
    assert heard == [("offline", "away")]
    await presence_bot.close()


@contextlib.asynccontextmanager
async def skewed(api: FakeBotApi, presence: PresenceService, offset_ms: int) -> AsyncIterator[Telegram]:
    """The bot running on a host whose clock is ``offset_ms`` behind Telegram's (negative: ahead)."""
    api.offset_ms = offset_ms
    presence_bot = PresenceBot(presence)
    async with running(api, polling_settings(api), presence_bot) as telegram:
        yield telegram
    await presence_bot.close()


async def test_with_the_host_clock_minutes_ahead_someone_who_just_spoke_is_online(
        api: FakeBotApi, messages: Messages, presence: PresenceService, clock: FakeClock) -> None:
    async with skewed(api, presence, -6 * MINUTE_MS) as telegram:
        await telegram.deliver(messages.message(BOB, GROUP, "hi"))
        [answer] = await telegram.ask(messages.message(ALICE, GROUP, "/presence who"))

    assert answer.text.count("🟢") == 2
    assert (await presence.get_status("telegram:43")).last_seen == clock.now


async def test_with_the_host_clock_minutes_behind_someone_quiet_still_goes_away_on_time(
        api: FakeBotApi, messages: Messages, presence: PresenceService, clock: FakeClock) -> None:
    async with skewed(api, presence, 6 * MINUTE_MS) as telegram:
        await telegram.deliver(messages.message(BOB, GROUP, "hi"))
    assert (await presence.get_status("telegram:43")).last_seen == clock.now
    clock.advance(minutes=5)
    await presence.sweep()

    assert (await presence.get_status("telegram:43")).status == "away"


async def test_with_a_skewed_host_clock_a_late_message_still_keeps_its_age(
        api: FakeBotApi, messages: Messages, presence: PresenceService) -> None:
    heard = heard_by(presence)
    async with skewed(api, presence, -6 * MINUTE_MS) as telegram:
        await telegram.deliver(messages.message(ALICE, GROUP, "gm"))
        await telegram.deliver(messages.late(messages.message(BOB, GROUP, "from the backlog"), 10 * MINUTE_MS))
        await telegram.deliver(messages.late(messages.message(BOB, GROUP, "from the backlog"), 3 * HOUR_MS))
    await presence.sweep()

    assert (await presence.get_status("telegram:43")).status == "away"
    assert heard == [("offline", "online"), ("offline", "away")]
