"""Structured logs (issue 7, item 6): one request id per message, key=value lines, no text, no secrets."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from presence_bot.logs import KeyValueFormatter, RequestFilter, configure, current_request
from presence_bot.reply import Reply
from presence_bot.session import Session
from presence_bot.settings import Settings
from tests.support.chat import Chat, RecordingOutbox
from tests.support.hostile import FUZZ


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog with the request stamped on each record and lines formatted as in production."""
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestFilter())
    caplog.handler.setFormatter(KeyValueFormatter(["123456:SECRET-token"]))
    yield caplog


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [caplog.handler.format(record) for record in caplog.records]


class FlakyOutbox(RecordingOutbox):
    """Fails every delivery, so the bot logs from inside the command's own task."""

    async def send(self, session: Session, reply: Reply) -> None:
        assert current_request() is not None
        raise ConnectionError("platform unreachable")


async def test_every_line_of_one_message_carries_its_request_id_and_ids(chat: Chat,
                                                                         logged: pytest.LogCaptureFixture) -> None:
    chat.outbox = FlakyOutbox()
    await chat.say("alice", "/presence who")
    await chat.say("bob", "/presence who", channel="other")

    records = [r for r in logged.records if r.name.startswith("presence_bot")]
    by_user = {r.user_id for r in records}  # type: ignore[attr-defined]
    assert by_user == {"test:alice", "test:bob"}
    for user, channel in (("test:alice", "test:room"), ("test:bob", "test:other")):
        mine = [r for r in records if r.user_id == user]  # type: ignore[attr-defined]
        assert {r.getMessage().split(" ", 1)[0] for r in mine} >= {"could", "/presence"}  # delivery error, answered
        assert len({r.request_id for r in mine}) == 1  # type: ignore[attr-defined]
        assert {(r.platform, r.channel_id) for r in mine} == {("test", channel)}  # type: ignore[attr-defined]
    assert len({r.request_id for r in records}) == 2  # type: ignore[attr-defined]
    assert current_request() is None


class RequestOutbox(RecordingOutbox):
    """Notes the request each reply is sent under."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[str] = []

    async def send(self, session: Session, reply: Reply) -> None:
        request = current_request()
        assert request is not None
        self.requests.append(request.request_id)
        await super().send(session, reply)


async def test_a_waiting_command_keeps_the_request_id_of_its_own_message(chat: Chat,
                                                                          logged: pytest.LogCaptureFixture) -> None:
    chat.outbox = outbox = RequestOutbox()
    await chat.say("alice", "/presence actvity")  # did you mean activity? — answered by the next message
    await chat.say("alice", "hello")
    await chat.say("alice", "/presence whoo")  # did you mean who? — run by "."
    await chat.say("alice", ".")

    asked_first, asked_second, who = outbox.requests
    assert asked_second == who != asked_first
    answered = [r.request_id for r in logged.records if r.getMessage().startswith("/presence")]  # type: ignore[attr-defined]
    assert answered == [asked_first, asked_second]


async def test_lines_are_key_value_without_message_text_or_secrets(chat: Chat,
                                                                   logged: pytest.LogCaptureFixture) -> None:
    await chat.say("alice", "/presence status my very private words")
    logging.getLogger("httpx").warning("POST https://api.telegram.org/bot123456:SECRET-token/getMe")

    text = "\n".join(lines(logged))
    assert "private words" not in text and "SECRET" not in text and "bot***/getMe" in text
    answered = next(line for line in lines(logged) if "answered" in line)
    assert answered.startswith("ts=") and " level=INFO logger=presence_bot.app request_id=" in answered
    assert " platform=test user_id=test:alice channel_id=test:room msg=" in answered
    assert " command=status ms=" in answered


_PAIR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)(?: |$)')


def parse(line: str) -> dict[str, str]:
    """A logfmt reader: bare values as they are, quoted ones decoded as JSON strings."""
    pairs = _PAIR.findall(line)
    assert " ".join(f"{k}={v}" for k, v in pairs) == line
    return {key: json.loads(value) if value.startswith('"') else value for key, value in pairs}


def test_hostile_ids_cannot_forge_or_break_lines() -> None:
    forged = 'x"\nts=1 level=ERROR msg="forged\u2028\u202e'
    record = logging.LogRecord("presence_bot.app", logging.ERROR, __file__, 1, "could not record activity of %s", (forged,), None)
    record.user_id = "telegram:1\nlevel=CRITICAL"
    line = KeyValueFormatter().format(record)
    assert "\n" not in line and "\u2028" not in line and "\u202e" not in line
    fields = parse(line)
    assert list(fields) == ["ts", "level", "logger", "user_id", "msg"]
    assert fields["level"] == "ERROR" and fields["user_id"] == record.user_id
    assert fields["msg"] == f"could not record activity of {forged}"


@FUZZ
@given(user_id=st.text(), message=st.text())
def test_any_value_comes_back_intact_from_its_one_line(user_id: str, message: str) -> None:
    record = logging.LogRecord("presence_bot.app", logging.INFO, __file__, 1, "%s", (message,), None)
    record.user_id = user_id
    line = KeyValueFormatter().format(record)
    assert line.isprintable()
    fields = parse(line)
    assert (fields["user_id"], fields["msg"]) == (user_id, message)


def test_exceptions_stay_on_one_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("presence_bot.app", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = KeyValueFormatter().format(record)
    assert "\n" not in line and 'exc="Traceback' in line and "ValueError: boom" in line


def test_configure_replaces_the_root_handlers_and_stamps_requests() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    out = io.StringIO()
    try:
        handler = configure("WARNING", out, ["hunter2"])
        assert root.handlers == [handler] and root.level == logging.WARNING
        logging.getLogger("presence").warning("started with password hunter2")
        logging.getLogger("presence").info("not shown")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    [line] = out.getvalue().splitlines()
    assert "logger=presence" in line and 'msg="started with password ***"' in line and "request_id" not in line


def test_every_configured_secret_is_handed_to_the_formatter(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("TELEGRAM__TOKEN", "123:tg"), ("TELEGRAM__SECRET_TOKEN", "hook"),
                        ("DISCORD__TOKEN", "dc.token"), ("REDIS_URL", "redis://:pw@db:6379/0")):
        monkeypatch.setenv(f"PRESENCE_{name}", value)
    assert sorted(Settings().secret_values()) == ["123:tg", "dc.token", "hook", "redis://:pw@db:6379/0"]


def test_ids_given_outside_a_request_are_kept(logged: pytest.LogCaptureFixture) -> None:
    logging.getLogger("presence_adapters.discord").warning("presence update dropped", extra={"user_id": "discord:7"})
    [line] = lines(logged)
    assert "user_id=discord:7" in line and "request_id" not in line
