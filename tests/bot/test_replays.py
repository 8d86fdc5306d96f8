"""A message handled before is not handled again unless its content changed (SPEC section 10)."""

from __future__ import annotations

from dataclasses import replace

from presence_bot.replays import Replays
from presence_bot.session import Session
from tests.support.chat import Chat, RecordingOutbox


def message(content: str, message_id: str | None = "7", channel: str = "test:room", **kw: object) -> Session:
    return Session(platform="test", self_id="bot", user_id="test:alice", user_name="alice", channel_id=channel,
                   guild_id=None, is_direct=False, content=content, message_id=message_id, timestamp=0, locale=None,
                   kind="message", outbox=RecordingOutbox(), **kw)  # type: ignore[arg-type]


def test_the_same_content_again_is_a_repeat_and_a_change_is_not() -> None:
    replays = Replays()

    assert [replays.repeated(message(c)) for c in ("gm", "gm", "gm all", "gm all", "gm")] == [
        False, True, False, True, False]


def test_messages_are_told_apart_by_channel_and_id() -> None:
    replays = Replays()
    replays.repeated(message("gm"))

    assert not replays.repeated(message("gm", message_id="8"))
    assert not replays.repeated(message("gm", channel="test:other"))


def test_reactions_and_messages_without_an_id_are_never_repeats() -> None:
    replays = Replays()
    reaction = replace(message(""), kind="reaction")

    assert not any(replays.repeated(s) for s in (reaction, reaction, message("x", None), message("x", None)))


def test_memory_is_bounded_to_the_most_recent() -> None:
    replays = Replays(remember=2)
    for message_id in ("1", "2", "3"):
        replays.repeated(message("gm", message_id))

    assert not replays.repeated(message("gm", "1"))
    assert replays.repeated(message("gm", "3"))


async def test_a_repeated_command_is_answered_once_and_recorded_once(chat: Chat) -> None:
    assert await chat.say("alice", "/presence who", message_id="5")
    assert await chat.say("alice", "/presence who", message_id="5") == []

    assert len(await chat.bot.service.get_activity("test:alice")) == 1
