"""Two ``presence-bot`` processes on one real Redis: a feed on one hears a heartbeat made on the other.

Everything as a newcomer would do it: tokens are asked for in each process's console, the feed and
the heartbeat go over real sockets to each process's own HTTP server.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from presence_adapters.http.room_ids import RoomIds
from tests.adapters.http.conftest import WAIT_S, receive
from tests.adapters.test_metrics_http import free_port
from tests.support.redis_server import RedisServer

ROOT = Path(__file__).parents[3]
TOKEN = re.compile(r"prs_[A-Za-z0-9_-]{43}")
ROOM_ID_KEY = "one key for both processes"
ALICE, BOB = (RoomIds(ROOM_ID_KEY.encode()).of("app:doc", account) for account in ("console:alice", "console:bob"))


class Bot:
    """One presence-bot process: its console on stdin/stdout, its HTTP API on ``port``."""

    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process = process
        self.port = port

    @classmethod
    async def start(cls, folder: Path, redis_url: str) -> Bot:
        folder.mkdir()
        port = free_port()
        clean = {k: v for k, v in os.environ.items() if not k.startswith("PRESENCE_")}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "presence_adapters.cli", cwd=folder, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**clean, "PYTHONPATH": str(ROOT), "PRESENCE_STORAGE": "redis", "PRESENCE_REDIS_URL": redis_url,
                 "PRESENCE_HTTP__ENABLED": "true", "PRESENCE_HTTP__PORT": str(port),
                 "PRESENCE_HTTP__ROOM_ID_KEY": ROOM_ID_KEY})
        return cls(process, port)

    async def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\n".encode())
        await self.process.stdin.drain()

    async def token(self, user: str, name: str) -> str:
        """Asks for a token in the console's private chat, as that user, and reads it from the answer."""
        await self.type(f":user {user}")
        await self.type(":dm")
        await self.type(f"/presence token {name}")
        assert self.process.stdout is not None
        while True:
            line = (await asyncio.wait_for(self.process.stdout.readline(), 30)).decode()
            assert line, "presence-bot ended before giving a token"
            if found := TOKEN.search(line):
                return found.group(0)

    async def finish(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        _, err = await asyncio.wait_for(self.process.communicate(), 30)
        assert self.process.returncode == 0, err.decode()
        assert "Traceback" not in err.decode()


async def test_a_feed_on_one_process_hears_a_heartbeat_made_on_the_other(tmp_path: Path,
                                                                          redis_server: RedisServer) -> None:
    redis_server.flush()
    here, there = await Bot.start(tmp_path / "one", redis_server.url), await Bot.start(tmp_path / "two", redis_server.url)
    try:
        watcher, mover = await here.token("alice", "laptop"), await there.token("bob", "editor")
        async with connect(f"ws://127.0.0.1:{here.port}/v1/rooms/app:doc/feed",
                           subprotocols=["presence.v1", f"bearer.{watcher}"], open_timeout=WAIT_S) as feed:  # type: ignore[list-item]
            assert list((await receive(feed, "presence_state"))["people"]) == [ALICE]
            async with httpx.AsyncClient(timeout=WAIT_S) as http:
                response = await http.post(f"http://127.0.0.1:{there.port}/v1/heartbeat",
                                           headers={"Authorization": f"Bearer {mover}"},
                                           json={"channel_id": "app:doc", "location": {"line": 42}})
                assert response.status_code == 200, response.text
                diff = await receive(feed, "presence_diff")
                assert diff["joins"][BOB]["devices"] == [
                    {"name": "api editor", "since": diff["joins"][BOB]["devices"][0]["since"], "location": {"line": 42}}]
                listed = await http.get(f"http://127.0.0.1:{there.port}/v1/rooms/app:doc/presence",
                                        headers={"Authorization": f"Bearer {mover}"})
                assert sorted(p["user_id"] for p in listed.json()["people"]) == sorted([ALICE, BOB]), \
                    "both processes show the same ids"
    finally:
        await here.finish()
        await there.finish()
