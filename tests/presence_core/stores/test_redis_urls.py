"""A Redis URL that cannot work is one line naming the setting ``redis_url``, never quoting it (it may hold
a password), from ``presence-bot`` at start-up and from ``RedisStore``; so is a URL that says Cluster to
a single server, or one server to a node of a cluster (issue 15)."""

from __future__ import annotations

from pathlib import Path

import pytest

from presence_core.errors import InvalidArgumentError
from presence_core.stores.redis import RedisStore
from tests.support.bot_process import run_bot
from tests.support.redis_server import RedisCluster, RedisServer

PASSWORD = "hunter2"

MALFORMED = [
    (PASSWORD, "must start with redis://, rediss://, unix://, redis+cluster:// or redis+sentinel://"),
    (f"http://:{PASSWORD}@127.0.0.1:6379/0", "must start with redis://"),
    (f"redis+clustr://:{PASSWORD}@127.0.0.1:6379", "must start with redis://"),
    (f"redis://:{PASSWORD}@127.0.0.1:63x79/0", "has a port that is not a number from 1 to 65535"),
    (f"rediss://:{PASSWORD}@127.0.0.1:70000/0", "has a port that is not a number from 1 to 65535"),
    (f"redis://:{PASSWORD}@:6379/0", "has no host name"),
    (f"redis://:{PASSWORD}@127.0.0.1:6379/zero", "must end in a database number (/0)"),
    (f"redis+cluster://:{PASSWORD}@127.0.0.1:7000/2", "must not name a database other than /0"),
    (f"redis+sentinel://:{PASSWORD}@127.0.0.1/presence", "must list its sentinels as host:port"),
    (f"redis+sentinel://:{PASSWORD}@127.0.0.1:26379", "must end in /MASTER_NAME or /MASTER_NAME/DB"),
]


def one_line(stderr: str) -> str:
    """The one line besides the start-up line (logged once the settings are read)."""
    lines = [line for line in stderr.splitlines() if "presence-bot: adapters=console store=redis" not in line]
    assert len(lines) == 1, stderr
    assert PASSWORD not in stderr
    return lines[0]


@pytest.mark.parametrize(("url", "problem"), MALFORMED)
def test_a_malformed_url_stops_presence_bot_with_one_line_naming_the_setting(tmp_path: Path, url: str,
                                                                             problem: str) -> None:
    done = run_bot(tmp_path, url, "")
    assert done.returncode == 2
    assert one_line(done.stderr).startswith(f"presence-bot: setting redis_url (PRESENCE_*) {problem}")


@pytest.mark.parametrize(("url", "problem"), MALFORMED)
def test_a_malformed_url_is_refused_by_the_store_naming_the_setting(url: str, problem: str) -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        RedisStore(url)
    assert str(refused.value).startswith(f"redis_url {problem}")
    assert PASSWORD not in str(refused.value)


def test_an_option_redis_py_refuses_is_one_line_too(tmp_path: Path) -> None:
    url = f"redis://:{PASSWORD}@127.0.0.1:6379/0?socket_timeout=soon"
    done = run_bot(tmp_path, url, "")
    assert done.returncode == 2
    assert one_line(done.stderr) == ("presence-bot: redis_url is not a URL redis-py accepts (ValueError; "
                                     "check the options after ?)")


def test_a_cluster_url_at_a_single_server_says_so(tmp_path: Path, redis_server: RedisServer) -> None:
    done = run_bot(tmp_path, f"redis+cluster://127.0.0.1:{redis_server.port}", "")
    assert done.returncode == 2
    assert one_line(done.stderr) == ("presence-bot: redis_url names a Redis Cluster (redis+cluster://), but the "
                                     "server there is not part of a cluster: use redis:// for one server")


def test_a_single_server_url_at_a_cluster_node_says_so(tmp_path: Path, redis_cluster: RedisCluster) -> None:
    done = run_bot(tmp_path, redis_cluster.nodes[1].url, "")
    assert done.returncode == 2
    assert one_line(done.stderr) == ("presence-bot: redis_url points at a node of a Redis Cluster: use "
                                     "redis+cluster:// (rediss+cluster:// with TLS) to use the whole cluster")


async def test_the_store_refuses_to_start_on_the_wrong_kind_of_server(redis_server: RedisServer,
                                                                     redis_cluster: RedisCluster) -> None:
    for url, words in [(f"redis+cluster://127.0.0.1:{redis_server.port}", "not part of a cluster"),
                       (redis_cluster.nodes[0].url, "points at a node of a Redis Cluster")]:
        store = RedisStore(url)
        try:
            with pytest.raises(InvalidArgumentError, match=words):
                await store.start()
        finally:
            await store.close()
