"""Hostile names and texts through the adapters' pure session builders (console, Telegram, Discord).

Whatever a person calls themself or types, building the Session never raises, ids stay the
composite ids of SPEC section 2, and the bot answers it with a reply every platform can render;
Telegram's chunks also fit its limit counted in UTF-16.
"""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from telegram import Update
from telegram.constants import MessageLimit

from presence_adapters.console import Console
from presence_adapters.discord.sessions import command_line, mentions_in
from presence_adapters.telegram.outbox import render_chunks as telegram_chunks
from presence_adapters.telegram.sessions import session_from_update
from presence_bot.app import PresenceBot
from presence_bot.options import BotOptions
from presence_bot.parsing import split_args
from presence_bot.reply import Reply
from presence_bot.router import command_text
from presence_bot.session import Session
from presence_core import PresenceService
from presence_core.stores.memory import MemoryStore
from presence_core.text import visible_length
from tests.support.chat import RecordingOutbox
from tests.support.clock import FakeClock
from tests.support.hostile import (
    FUZZ,
    assert_well_formed_html,
    check_renders,
    hostile_id,
    hostile_text,
    huge_text,
    invisible_characters,
    storable,
)

names = st.one_of(hostile_text, st.text(max_size=200))
# What Telegram sends is valid UTF-8: no lone surrogates.
telegram_names, telegram_texts = names.filter(storable), hostile_text.filter(storable)


async def answered(session: Session, outbox: RecordingOutbox) -> None:
    """Handle the session on a fresh bot; every reply renders; stored names are clean and short."""
    service = PresenceService(MemoryStore(), clock=FakeClock())
    async with service:
        presence_bot = PresenceBot(service, BotOptions(prompt_timeout_s=0.01))
        await presence_bot.handle(session)
        await presence_bot.close()
        for sent in outbox.sent:
            check_renders(sent.reply)
        if storable(session.user_id):
            name = (await service.get_status(session.user_id)).name
            assert name is None or (visible_length(name) <= service.policy.name_max_len and not invisible_characters(name))


@FUZZ
@given(user=hostile_id, channel=hostile_id, direct=st.booleans(), locale=st.one_of(st.none(), hostile_id),
       content=hostile_text)
async def test_console_sessions_from_any_user_channel_and_line(user: str, channel: str, direct: bool,
                                                               locale: str | None, content: str) -> None:
    service = PresenceService(MemoryStore(), clock=FakeClock())
    console = Console(PresenceBot(service), stdin=io.StringIO(), stdout=io.StringIO())
    console.state.user, console.state.channel, console.state.direct, console.state.locale = user, channel, direct, locale
    session = console.session(content)
    # Console names are usernames: one account in any case.
    assert session.user_id == f"console:{user.casefold()}" and session.content == content
    assert session.channel_id == (f"console:dm/{user.casefold()}" if direct else f"console:{channel}")
    assert all(token in content and target.startswith("console:") for token, target in session.mentions.items())
    outbox = RecordingOutbox()
    await answered(Session(**{**_fields(session), "outbox": outbox}), outbox)


def _fields(session: Session) -> dict[str, Any]:
    return {name: getattr(session, name) for name in Session.__dataclass_fields__}


TELEGRAM_BOT = SimpleNamespace(id=777, username="presence_bot")


def telegram_update(first: str, last: str | None, username: str | None, text: str, chat_type: str,
                    as_caption: bool, entities: list[tuple[int, int]], thread: int | None) -> dict[str, Any]:
    person = {"id": 42, "is_bot": False, "first_name": first, "language_code": "zh-hans"}
    if last is not None:
        person["last_name"] = last
    if username is not None:
        person["username"] = username
    chat = {"id": 42 if chat_type == "private" else -100_123, "type": chat_type, "is_forum": thread is not None}
    # Telegram measures entities in UTF-16 code units and never splits a character.
    units = [len(text[:i].encode("utf-16-le")) // 2 for i in range(len(text) + 1)]
    spans = [(min(start, len(text)), min(start + length, len(text))) for start, length in entities]
    marks = [{"type": "text_mention", "offset": units[start], "length": units[end] - units[start],
              "user": {"id": 43, "is_bot": False, "first_name": first}} for start, end in spans]
    message: dict[str, Any] = {"message_id": 7, "date": 1_790_000_000, "chat": chat, "from": person}
    message.update({"caption": text, "caption_entities": marks} if as_caption else {"text": text, "entities": marks})
    if thread is not None:
        message.update(message_thread_id=thread, is_topic_message=True)
    return {"update_id": 1, "message": message}


@FUZZ
@given(first=telegram_names.filter(bool), last=st.one_of(st.none(), telegram_names),
       username=st.one_of(st.none(), telegram_names),
       text=st.one_of(telegram_texts, telegram_texts.map(lambda t: f"/presence {t}")),
       chat_type=st.sampled_from(["private", "group", "supergroup"]), as_caption=st.booleans(),
       entities=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=3),
       thread=st.one_of(st.none(), st.integers(1, 2**31)))
async def test_telegram_sessions_from_any_name_and_text(first: str, last: str | None, username: str | None, text: str,
                                                        chat_type: str, as_caption: bool,
                                                        entities: list[tuple[int, int]], thread: int | None) -> None:
    update = Update.de_json(telegram_update(first, last, username, text, chat_type, as_caption, entities, thread), None)
    outbox = RecordingOutbox()
    session = session_from_update(update, TELEGRAM_BOT, outbox)  # type: ignore[arg-type]
    assert session is not None
    assert session.user_id == "telegram:42" and session.content == text
    assert session.channel_id.startswith("telegram:42" if chat_type == "private" else "telegram:-100123")
    assert set(session.mentions.values()) <= {"telegram:43"}
    await answered(session, outbox)


@FUZZ
@given(args=st.lists(st.one_of(hostile_text, hostile_id), max_size=4))
def test_slash_command_options_come_back_as_the_same_arguments(args: list[str]) -> None:
    """A Discord slash command becomes a text command that splits back into its options."""
    line = command_line(args)
    text = command_text(line, None)
    assert text is not None
    assert split_args(text) == args


@FUZZ
@given(content=st.one_of(hostile_text, st.lists(st.sampled_from(["<@", "<@!", ">", "1", "99999999999999999999",
                                                                 "x", " ", "<@&1>", "<#1>"]), max_size=20).map("".join)))
def test_discord_mentions_are_only_well_formed_user_ids(content: str) -> None:
    for token, user_id in mentions_in(content).items():
        assert token in content and user_id.startswith("discord:") and user_id.removeprefix("discord:").isdigit()


@FUZZ
@given(lines=st.lists(st.lists(st.tuples(st.sampled_from(["", "b", "i", "code"]),
                                         st.one_of(telegram_texts, huge_text.filter(storable))), max_size=4)
                      .map(tuple), min_size=1, max_size=4))
def test_telegram_chunks_fit_in_utf16_and_stay_well_formed(lines: list[tuple[tuple[str, str], ...]]) -> None:
    for chunk in telegram_chunks(Reply(tuple(lines))):  # type: ignore[arg-type]
        assert len(chunk.encode("utf-16-le")) // 2 <= MessageLimit.MAX_TEXT_LENGTH
        assert_well_formed_html(chunk)
