"""Redis going away while ``presence-bot`` runs is told in one line with its reason, and its return in one
line with how long it was away: no line per failed call or retry, no traceback (issue 15).

The bot sweeps every second here, so a line per failed sweep would show."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from presence_core.stores.redis_health import QUIET_S, Health, reason
from tests.support.bot_process import RunningBot
from tests.support.clock import FakeClock
from tests.support.redis_server import RedisCluster, RedisServer, RedisTlsServer
from tests.support.redis_store import require_redis

UNAVAILABLE = "presence: Redis unavailable: "
AGAIN = re.compile(r'msg="presence: Redis available again after \d+\.\d s"$')
OUTAGE_S = 6.0  # several sweeps, event reads and reconnections fail meanwhile


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    require_redis()
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture
def tls_redis() -> Iterator[RedisTlsServer]:
    require_redis("openssl")
    server = RedisTlsServer()
    yield server
    server.stop()


@pytest.fixture
def own_cluster() -> Iterator[RedisCluster]:
    require_redis()
    cluster = RedisCluster()
    yield cluster
    cluster.stop()


def warnings(bot: RunningBot) -> list[str]:
    """What reached the operator's terminal beyond INFO (the console shows only problems)."""
    return [line for line in bot.stderr if "level=INFO" not in line]


def through_an_outage(tmp_path: Path, url: str, stop: object, start: object) -> list[str]:
    """Runs the bot, stops Redis until the bot said so and ``OUTAGE_S`` more, types a message meanwhile,
    starts Redis again and waits for the bot to say so; the lines logged at WARNING and above."""
    bot = RunningBot(tmp_path, url, heartbeat_interval_ms="1000")
    try:
        bot.say(":user ann\nhello")
        bot.wait_for("presence-bot: adapters=console")
        time.sleep(1.5)  # a sweep or two while Redis is up
        stop()  # type: ignore[operator]
        bot.wait_for(UNAVAILABLE)
        bot.say("still here")  # kept in the outage buffer
        time.sleep(OUTAGE_S)
        start()  # type: ignore[operator]
        bot.wait_for("presence: Redis available again")
        bot.wait_for("presence store is back")
        time.sleep(1.5)  # sweeps work again, and say nothing
    finally:
        assert bot.stop() == 0, "\n".join(bot.stderr)
    assert not [line for line in bot.stderr if "Traceback" in line or "exc=" in line]
    return warnings(bot)


def test_one_redis_going_away_and_back_is_two_lines(tmp_path: Path, own_redis: RedisServer) -> None:
    lines = through_an_outage(tmp_path, own_redis.url, own_redis.halt, own_redis.resume)
    assert len(lines) == 4, "\n".join(lines)
    down, kept, up, written = lines
    assert f'{UNAVAILABLE}ConnectionError: Error 111 connecting to 127.0.0.1:{own_redis.port}.' in down
    assert "keeping recorded activity" in kept
    assert AGAIN.search(up)
    assert "wrote 1 buffered activities, dropped 0" in written


def test_a_hung_tls_server_gives_a_timeout_as_the_reason(tmp_path: Path, tls_redis: RedisTlsServer) -> None:
    lines = through_an_outage(tmp_path, tls_redis.url, tls_redis.freeze, tls_redis.thaw)
    assert len(lines) == 4, "\n".join(lines)
    down, _, up, _ = lines
    assert re.search(rf'{UNAVAILABLE}\w*TimeoutError: \w[^"]*"$', down), down
    assert AGAIN.search(up)


def test_a_whole_cluster_going_away_and_back_is_two_lines(tmp_path: Path, own_cluster: RedisCluster) -> None:
    def halt() -> None:
        for node in own_cluster.nodes:
            node.halt()

    def resume() -> None:
        for node in own_cluster.nodes:
            node.resume()

    lines = through_an_outage(tmp_path, own_cluster.url, halt, resume)
    assert len(lines) == 4, "\n".join(lines)
    down, _, up, _ = lines
    assert UNAVAILABLE in down
    assert AGAIN.search(up)


# The rule behind the lines, on a clock moved by hand -----------------------------------------------------


@pytest.fixture
def health(clock: FakeClock) -> Health:
    return Health(lambda: clock() / 1000)


def told(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "presence_core.stores.redis_health"]


def test_many_failures_in_a_row_are_one_line_and_the_first_success_another(
        health: Health, clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        for _ in range(20):
            health.failed("ConnectionError: refused")
            clock.advance(500)
        health.answered()
        health.answered()
    assert told(caplog) == ["presence: Redis unavailable: ConnectionError: refused",
                            "presence: Redis available again after 10.0 s"]


def test_a_call_that_began_before_redis_came_back_changes_nothing(
        health: Health, clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        health.failed("ConnectionError: refused")
        started = clock() / 1000
        clock.advance(2000)
        health.answered()
        health.failed("TimeoutError: no answer within 5 s", started)
    assert len(told(caplog)) == 2
    assert health.available


def test_flapping_is_told_at_most_once_in_a_quiet_period_and_counted(
        health: Health, clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        health.failed("ConnectionError: refused")
        clock.advance(1000)
        health.answered()
        for _ in range(5):  # a node going up and down every second
            clock.advance(1000)
            health.failed("ConnectionError: refused")
            clock.advance(1000)
            health.answered()
        assert len(told(caplog)) == 2
        clock.advance(int(QUIET_S * 1000))
        health.failed("ConnectionError: refused")
    assert told(caplog)[2:] == ["presence: Redis unavailable (after 5 shorter interruptions): ConnectionError: refused"]


def test_an_outage_starting_soon_after_the_last_is_told_once_the_quiet_period_ends(
        health: Health, clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        health.failed("ConnectionError: refused")
        clock.advance(1000)
        health.answered()
        clock.advance(1000)
        for _ in range(40):  # down for good, retried every second
            health.failed("ConnectionError: refused")
            clock.advance(1000)
    assert told(caplog)[2:] == ["presence: Redis unavailable (for 29 s): ConnectionError: refused"]


def test_a_timeout_without_words_is_named_with_how_long_it_waited() -> None:
    assert reason(TimeoutError(), 5.0) == "TimeoutError: no answer within 5 s"
    assert reason(ConnectionResetError(), 5.0) == "ConnectionResetError"
    assert reason(OSError("line one\nline two"), 5.0) == "OSError: line one line two"
