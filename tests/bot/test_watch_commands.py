"""``notify`` and ``watchers`` as people type them: the watch's own limits, and people named, never ids."""

from __future__ import annotations

import pytest

from tests.support.chat import Chat

BEN = {"@ben": "test:ben"}


@pytest.mark.parametrize(("typed", "locale", "first"), [
    ("/presence notify @ben for 0m", None, "⚠️ A duration here must be between 1m and 30d."),
    ("/presence notify @ben for 31d", None, "⚠️ A duration here must be between 1m and 30d."),
    ("/presence notify @ben 400d", None, "⚠️ A duration here must be between 1m and 30d."),
    ("/presence 提醒 @ben 0分钟", "zh-CN", "⚠️ 这里的时长必须在 1分钟 到 30天 之间。"),
])
async def test_a_watch_out_of_range_names_the_watch_range(chat: Chat, typed: str, locale: str | None,
                                                          first: str) -> None:
    await chat.say("ben", "hello")
    await chat.say("ben", "/presence dnd")
    assert (await chat.text("ann", typed, mentions=BEN, locale=locale)).splitlines()[0] == first
    assert await chat.bot.service.get_watches("test:ann") == []


async def test_cancelling_a_watch_never_made_names_the_person_as_typed(chat: Chat) -> None:
    answer = await chat.text("ann", "/presence notify cancel @U3", mentions={"@U3": "test:U3"})
    assert answer == "You weren't watching @U3."


async def test_a_discord_mention_token_is_no_name(chat: Chat) -> None:
    """``<@42>`` is the platform's id for someone: the name the platform gave is shown instead."""
    answer = await chat.text("ann", "/presence notify cancel <@42>", mentions={"<@42>": "test:42"},
                             names={"test:42": "zed"})
    assert answer == "You weren't watching zed."


async def test_watches_on_people_without_a_name_show_no_account_id(chat: Chat) -> None:
    service = chat.bot.service
    await service.record_activity("test:u7", {"channel_id": "test:room"})  # an API caller gave no name
    await service.set_status("test:u7", "dnd")
    await chat.say("ann", "hello")
    made = await chat.text("ann", "/presence notify @u7", mentions={"@u7": "test:u7"})
    listed = await chat.text("ann", "/presence notify")
    watchers = await chat.text("u7", "/presence watchers", username=None)
    assert "test:u7" not in made + listed and "@u7" in made and "someone" in listed
    assert "test:ann" not in watchers and "ann" in watchers
