"""Throwaway redis-server processes on free loopback ports, for the tests and the benchmarks.

Each server gets its own temporary directory and no persistence (``--save "" --appendonly no``).
A cluster is three masters joined with ``redis-cli --cluster create``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

STARTUP_TIMEOUT_S = 15.0


def binaries() -> tuple[str, str] | None:
    """Paths of redis-server and redis-cli, or None when either is not installed."""
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    return (server, cli) if server and cli else None


def _free_port(cluster_bus: bool) -> int:
    """A port free on loopback now (and its +10000 cluster bus port, when asked)."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if not cluster_bus:
            return port
        if port + 10000 < 65536:
            with socket.socket() as bus:
                try:
                    bus.bind(("127.0.0.1", port + 10000))
                except OSError:
                    continue
            return port


def _command(port: int, *args: str) -> str:
    """One inline command over a raw socket, so starting a server needs no client library."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
        conn.sendall((" ".join(args) + "\r\n").encode())
        data = b""
        while b"\r\n" not in data or (data.startswith(b"$") and len(data) < _bulk_end(data)):
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        return data.decode(errors="replace")


def _bulk_end(data: bytes) -> int:
    header, _, _ = data.partition(b"\r\n")
    return len(header) + 2 + max(int(header[1:]), 0) + 2


class RedisServer:
    """One redis-server child process; ``stop`` kills it and removes its directory."""

    def __init__(self, *, cluster: bool = False, extra: tuple[str, ...] = (), config: str | None = None) -> None:
        """``config``: a configuration file's text, given to the server first (a sentinel needs one)."""
        found = binaries()
        if found is None:
            raise FileNotFoundError("redis-server and redis-cli must be installed (apt-get install redis-server)")
        self.dir = Path(tempfile.mkdtemp(prefix="presence-redis-"))
        self.process: subprocess.Popen[bytes] | None = None
        conf: list[str] = []
        if config is not None:
            (self.dir / "redis.conf").write_text(config)
            conf = [str(self.dir / "redis.conf")]
        for _ in range(5):  # another process may take the port between probing and binding
            self.port = _free_port(cluster)
            args = [found[0], *conf, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
                    "--logfile", "server.log", *(() if config else ("--save", "", "--appendonly", "no")), *extra]
            if cluster:
                args += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                         "--cluster-node-timeout", "5000"]
            self._args = args
            self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if self._wait_ready():
                return
            self._kill()
        self.stop()
        raise RuntimeError(f"redis-server did not start; see {self.dir / 'server.log'}")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            try:
                if _command(self.port, "PING").startswith("+PONG"):
                    return True
            except OSError:
                pass
            time.sleep(0.02)
        return False

    def command(self, *args: str) -> str:
        return _command(self.port, *args)

    def flush(self) -> None:
        self.command("FLUSHALL")

    def _kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def halt(self) -> None:
        """Stop the server process, keeping its port and directory for ``resume`` (an outage)."""
        self._kill()

    def freeze(self) -> None:
        """Stop the process (SIGSTOP): connections stay open and go unanswered, as with a hung server."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def resume(self) -> None:
        """Start the same server again; with ``--appendonly yes`` in ``extra`` its data survives."""
        self.process = subprocess.Popen(self._args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not self._wait_ready():
            raise RuntimeError(f"redis-server did not restart; see {self.dir / 'server.log'}")

    def stop(self) -> None:
        self._kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisTlsServer(RedisServer):
    """A server that speaks TLS too, on ``tls_port``, with a self-signed certificate for 127.0.0.1 made by
    ``openssl``; ``url`` is its ``rediss://`` URL, which trusts that certificate."""

    def __init__(self) -> None:
        if shutil.which("openssl") is None:
            raise FileNotFoundError("openssl must be installed to make the test certificate")
        self.certs = Path(tempfile.mkdtemp(prefix="presence-redis-tls-"))
        cert, key = self.certs / "cert.pem", self.certs / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout", str(key),
                        "-out", str(cert), "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=60)
        self.tls_port = _free_port(False)
        super().__init__(extra=("--tls-port", str(self.tls_port), "--tls-cert-file", str(cert), "--tls-key-file",
                                str(key), "--tls-ca-cert-file", str(cert), "--tls-auth-clients", "no"))

    @property
    def url(self) -> str:
        return f"rediss://127.0.0.1:{self.tls_port}/0?ssl_ca_certs={self.certs / 'cert.pem'}"

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.certs, ignore_errors=True)


class RedisCluster:
    """Three masters on loopback, no replicas, every slot assigned."""

    def __init__(self, masters: int = 3) -> None:
        self.nodes: list[RedisServer] = []
        try:
            for _ in range(masters):
                self.nodes.append(RedisServer(cluster=True))
            found = binaries()
            assert found is not None
            subprocess.run([found[1], "--cluster", "create", *(f"127.0.0.1:{n.port}" for n in self.nodes),
                            "--cluster-replicas", "0", "--cluster-yes"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
            self._wait_ok()
        except BaseException:
            self.stop()
            raise

    @property
    def url(self) -> str:
        """The store's cluster URL: any node will do, the client discovers the others."""
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}"

    def _wait_ok(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S * 2
        while time.monotonic() < deadline:
            if all("cluster_state:ok" in n.command("CLUSTER", "INFO") for n in self.nodes):
                return
            time.sleep(0.1)
        raise RuntimeError("the Redis cluster never reached cluster_state:ok")

    def flush(self) -> None:
        for node in self.nodes:
            node.command("FLUSHALL")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


class RedisSentinels:
    """A master, one replica and three sentinels watching them (quorum 2), all on loopback.

    Failover is quick for tests: a master is "down" after 1 s without an answer.
    """

    MASTER = "presence"

    def __init__(self) -> None:
        self.servers: list[RedisServer] = []
        self.sentinels: list[RedisServer] = []
        try:
            quick = ("--repl-diskless-sync-delay", "0")  # a replica syncs at once, not after 5 s
            master = RedisServer(extra=quick)
            self.servers.append(master)
            self.servers.append(RedisServer(extra=(*quick, "--replicaof", "127.0.0.1", str(master.port))))
            config = (f"sentinel monitor {self.MASTER} 127.0.0.1 {master.port} 2\n"
                      f"sentinel down-after-milliseconds {self.MASTER} 1000\n"
                      f"sentinel failover-timeout {self.MASTER} 3000\n"
                      f"sentinel parallel-syncs {self.MASTER} 1\n")
            for _ in range(3):
                self.sentinels.append(RedisServer(config=config, extra=("--sentinel",)))
            self.wait_for(lambda: self.master_port() == master.port and self._replica_synced())
        except BaseException:
            self.stop()
            raise

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)
        return f"redis+sentinel://{hosts}/{self.MASTER}/0"

    def master_port(self) -> int | None:
        """The master's port as the first sentinel sees it."""
        reply = self.sentinels[0].command("SENTINEL", "get-master-addr-by-name", self.MASTER)
        lines = reply.split("\r\n")
        return int(lines[4]) if len(lines) > 4 and lines[4].isdigit() else None

    def master(self) -> RedisServer:
        port = self.master_port()
        return next(s for s in self.servers if s.port == port)

    def _replica_synced(self) -> bool:
        return all("master_link_status:up" in s.command("INFO", "replication")
                   for s in self.servers[1:] if s.process is not None)

    @staticmethod
    def wait_for(condition: Callable[[], bool], timeout: float = STARTUP_TIMEOUT_S * 2) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if condition():
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the Redis sentinels never agreed")

    def flush(self) -> None:
        self.master().command("FLUSHALL")

    def stop(self) -> None:
        for server in [*self.sentinels, *self.servers]:
            server.stop()
