"""``/metrics`` for real: served on a loopback port, scraped over HTTP, off unless enabled."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from presence_adapters.metrics_http import MetricsServer
from presence_bot.app import PresenceBot
from presence_bot.metrics import InstrumentedStore, Metrics
from presence_core import PresenceService
from presence_core.stores.memory import MemoryStore
from tests.support.chat import Chat
from tests.support.clock import FakeClock

ROOT = Path(__file__).parents[2]


async def scrape(url: str, accept: str | None = None) -> tuple[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
    """The content type and every sample, keyed by name and sorted labels."""
    async with aiohttp.ClientSession() as http, http.get(url, headers={"Accept": accept} if accept else {}) as response:
        assert response.status == 200
        body = await response.text()
        content_type = response.headers["Content-Type"]
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(body) for s in family.samples}
    return content_type, samples


@pytest.fixture
async def served(clock: FakeClock) -> AsyncIterator[tuple[Chat, str]]:
    metrics = Metrics()
    async with PresenceService(InstrumentedStore(MemoryStore(), metrics), clock=clock) as service, \
            MetricsServer(metrics.registry, "127.0.0.1", 0) as server:
        presence_bot = PresenceBot(service, metrics=metrics)
        yield Chat(presence_bot), f"http://127.0.0.1:{server.port}/metrics"
        await presence_bot.close()


async def test_a_scrape_shows_what_the_bot_did(served: tuple[Chat, str]) -> None:
    chat, url = served
    content_type, before = await scrape(url)
    assert content_type.startswith("text/plain")
    assert before.get(("presence_messages_recorded_total", (("platform", "test"),)), 0) == 0

    await chat.say("alice", "hi")
    await chat.say("alice", "/presence who")
    await chat.say("bob", "/presence dnd 1h")
    _, after = await scrape(url)

    assert after[("presence_messages_recorded_total", (("platform", "test"),))] == 3
    assert after[("presence_commands_total", (("command", "who"),))] == 1
    assert after[("presence_commands_total", (("command", "dnd"),))] == 1
    assert after[("presence_record_batch_size_count", ())] == 3
    assert after[("presence_store_seconds_count", (("operation", "record"),))] == 3
    assert after[("presence_store_seconds_count", (("operation", "save"),))] >= 1
    assert ("process_resident_memory_bytes", ()) in after


async def test_openmetrics_when_asked_and_nothing_else_served(served: tuple[Chat, str]) -> None:
    _, url = served
    content_type, samples = await scrape(url, "application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text") and samples
    async with aiohttp.ClientSession() as http, http.get(url.replace("/metrics", "/")) as response:
        assert response.status == 404


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def refused(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return True
    writer.close()
    return False


async def run_console(tmp_path: Path, port: int, **env: str) -> asyncio.subprocess.Process:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PRESENCE_")}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "presence_adapters.cli", cwd=tmp_path, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**clean, "PYTHONPATH": str(ROOT), "PRESENCE_METRICS__PORT": str(port), **env})


async def say(bot: asyncio.subprocess.Process, line: str) -> str:
    """Type a line into the console bot and read its first answer line."""
    assert bot.stdin is not None and bot.stdout is not None
    bot.stdin.write(f"{line}\n".encode())
    await bot.stdin.drain()
    return (await asyncio.wait_for(bot.stdout.readline(), 30)).decode()


async def finish(bot: asyncio.subprocess.Process) -> None:
    assert bot.stdin is not None
    bot.stdin.close()
    _, err = await asyncio.wait_for(bot.communicate(), 30)
    assert bot.returncode == 0, err.decode()


async def test_presence_bot_serves_metrics_when_enabled(tmp_path: Path) -> None:
    port = free_port()
    bot = await run_console(tmp_path, port, PRESENCE_METRICS__ENABLED="true")
    assert "Here now" in await say(bot, "/presence who")
    _, samples = await scrape(f"http://127.0.0.1:{port}/metrics")
    await finish(bot)
    assert samples[("presence_commands_total", (("command", "who"),))] == 1
    assert samples[("presence_messages_recorded_total", (("platform", "console"),))] == 1
    assert samples[("presence_store_seconds_count", (("operation", "record"),))] == 1


async def test_presence_bot_serves_nothing_by_default(tmp_path: Path) -> None:
    port = free_port()
    bot = await run_console(tmp_path, port)
    assert "Here now" in await say(bot, "/presence who")
    assert await refused(port)
    await finish(bot)


async def test_with_the_http_api_enabled_metrics_move_onto_its_server(tmp_path: Path) -> None:
    metrics_port, http_port = free_port(), free_port()
    bot = await run_console(tmp_path, metrics_port, PRESENCE_METRICS__ENABLED="true", PRESENCE_HTTP__ENABLED="true",
                            PRESENCE_HTTP__PORT=str(http_port))
    assert "Here now" in await say(bot, "/presence who")
    _, samples = await scrape(f"http://127.0.0.1:{http_port}/metrics")
    assert await refused(metrics_port)
    await finish(bot)
    assert samples[("presence_commands_total", (("command", "who"),))] == 1
    assert ("presence_http_feed_clients", ()) in samples
