"""``presence-bot`` on a Redis Cluster, as a real process: killed in the middle of a forget, the next start
finishes the erase (issue 15)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

from redis.cluster import RedisCluster as ClusterClient

from presence_core.linking import hash_code
from presence_core.stores.redis import RedisStore
from presence_core.stores.redis_keys import Keys, hash_tag
from tests.support import bot_process
from tests.support.bot_process import COMMAND, bot_env
from tests.support.redis_leftovers import keys_naming
from tests.support.redis_server import RedisCluster, RedisServer

KEYS = Keys("pr:")


def run_bot(tmp_path: Path, url: str, stdin: str) -> subprocess.CompletedProcess[str]:
    done = bot_process.run_bot(tmp_path, url, stdin)
    assert done.returncode == 0, done.stderr
    return done


class Nodes:
    """Which node of the cluster holds a key."""

    def __init__(self, cluster: RedisCluster) -> None:
        port = cluster.nodes[0].port
        self.client = ClusterClient(host="127.0.0.1", port=port)
        self.servers = {n.port: n for n in cluster.nodes}

    def of(self, key: str) -> RedisServer:
        return self.servers[self.client.get_node_from_key(key).port]

    def close(self) -> None:
        self.client.close()


def names_on_one_node(nodes: Nodes) -> tuple[str, str, str, RedisServer]:
    """Two console users and a channel whose keys (person, account, their DMs, the channel) share a node:
    then a node without any of them stops only what the forget does after its journal entry."""
    def keys_of(user: str) -> list[str]:
        return [KEYS.person(f"console:{user}"), KEYS.channel(f"console:dm/{user}")]

    users = [f"kx{i}z" for i in range(400)]  # none is part of another's name
    home = nodes.of(keys_of(users[0])[0])
    fits = [u for u in users if all(nodes.of(k) is home for k in keys_of(u))]
    channel = next(c for c in (f"room{i}" for i in range(100)) if nodes.of(KEYS.channel(f"console:{c}")) is home)
    return fits[0], fits[1], channel, home


def test_killed_in_the_middle_of_a_forget_its_next_start_finishes_the_erase(tmp_path: Path,
                                                                          redis_cluster: RedisCluster) -> None:
    redis_cluster.flush()
    url, nodes = redis_cluster.url, Nodes(redis_cluster)
    try:
        alice, alice_too, channel, home = names_on_one_node(nodes)
        out = run_bot(tmp_path, url, f":user {alice}\n:channel {channel}\nhello\n:dm\n/presence link\n").stdout
        [code] = re.findall(r"link code: (\w+)", out)
        run_bot(tmp_path, url, f":user {alice_too}\n:channel {channel}\nhi\n:dm\n/presence link {code}\n")
        # Link codes live on any node: one that is elsewhere is erased after the journal entry is written.
        out = run_bot(tmp_path, url, f":user {alice}\n:dm\n" + "/presence link\n" * 10).stdout
        away = next(nodes.of(KEYS.code(hash_code(c))) for c in re.findall(r"link code: (\w+)", out)
                    if nodes.of(KEYS.code(hash_code(c))) is not home)
        person = f"console:{alice}"
        journal = KEYS.journal(hash_tag(person))

        away.command("CLIENT", "PAUSE", "30000", "WRITE")  # that node holds every write to it
        bot = subprocess.Popen(COMMAND, stdin=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True, cwd=tmp_path,
                               env=bot_env(url))
        assert bot.stdin is not None
        watchdog = threading.Timer(30, bot.kill)
        watchdog.start()
        try:
            bot.stdin.write(f":user {alice}\n:dm\n/presence forget\nyes\n")
            bot.stdin.flush()
            deadline = time.monotonic() + 20
            while ":1\r\n" not in home.command("HLEN", journal) and time.monotonic() < deadline:
                time.sleep(0.01)
            os.kill(bot.pid, signal.SIGKILL)
            bot.wait()
        finally:
            watchdog.cancel()
            bot.kill()
            away.command("CLIENT", "UNPAUSE")
        assert bot.returncode == -signal.SIGKILL
        assert ":1\r\n" in home.command("HLEN", journal), "the forget was not under way when it was killed"
        needles = [alice, alice_too]
        assert asyncio.run(left_naming(url, needles)) != []

        started = run_bot(tmp_path, url, "")
        assert "finished 1 link, unlink or forget left unfinished" in started.stderr
        assert asyncio.run(left_naming(url, needles)) == []
    finally:
        nodes.close()


async def left_naming(url: str, needles: list[str]) -> list[str]:
    store = RedisStore(url)
    try:
        return await keys_naming(store, needles)
    finally:
        await store.close()
