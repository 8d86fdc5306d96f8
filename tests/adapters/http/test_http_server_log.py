"""What uvicorn logs while serving the API: no query strings, no tokens, no per-connection lines, no ANSI codes."""

from __future__ import annotations

import logging

import pytest

from presence_adapters.http import Served, create_app
from presence_adapters.http.serverlog import QuietUvicorn
from tests.adapters.http.conftest import ALICE, DOC, Api, closed_with, receive


async def test_the_server_log_never_holds_a_query_string_a_token_or_a_line_per_connection(
        api: Api, caplog: pytest.LogCaptureFixture) -> None:
    token = await api.token(ALICE)
    caplog.set_level(logging.INFO)
    async with api.feed(DOC, token, query=f"?token={token}&x=1") as refused:
        assert (await closed_with(refused))[0] == 4400
    for _ in range(3):
        async with api.feed(DOC, token) as ws:
            await receive(ws, "presence_state")
    await api.call("GET", f"/v1/me?access_token={token}")
    async with Served(create_app(api.service), "127.0.0.1", 0):
        pass  # start-up and shut-down lines
    uvicorn = [r for r in caplog.records if r.name.startswith("uvicorn")]
    assert uvicorn, "uvicorn logged its start-up"
    for record in uvicorn:
        line = record.getMessage()
        assert "prs_" not in line.replace("prs_***", "") and "?" not in line and "x=1" not in line, line
        assert "connection open" not in line and "connection closed" not in line and '"WebSocket' not in line, line
        assert not hasattr(record, "color_message") and "\x1b" not in line, line


def test_a_token_anywhere_in_a_line_is_blanked_and_debug_keeps_the_connection_lines() -> None:
    logger = logging.getLogger("uvicorn.error")
    quiet = QuietUvicorn()
    record = logger.makeRecord("uvicorn.error", logging.ERROR, __file__, 1, "bad request %s from %s",
                               ("prs_abcDEF_-12", "/v1/x?y=prs_q"), None, extra={"color_message": "\x1b[1m"})
    assert quiet.filter(record) and record.getMessage() == "bad request prs_*** from /v1/x"
    assert not hasattr(record, "color_message")
    opened = logger.makeRecord("uvicorn.error", logging.INFO, __file__, 1, "connection open", (), None)
    assert not quiet.filter(opened)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        assert quiet.filter(opened) and opened.levelname == "DEBUG"
    finally:
        logger.setLevel(level)

