"""Load for bench/bench_http.py: the server process, and two ways to send it heartbeats.

- ``wrk`` (Debian's package; the field's usual HTTP load generator, written in C): a second process,
  ``bench/http_heartbeat.lua`` sets the method, body and ``Authorization`` header, one token per
  request. It leaves nearly all of the server's core to the server.
- ``hammer``: the same requests as raw HTTP/1.1 bytes from asyncio streams in this Python process,
  for machines without wrk (a client library would be slower than the server it measures). Parsing
  the answers costs this process about as much CPU as the server spends answering them.

Both keep a fixed number of keep-alive connections busy, each waiting for its answer before it sends
the next request, for a bounded time.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parents[1]
WRK_SCRIPT = Path(__file__).with_name("http_heartbeat.lua")


@dataclass
class Load:
    """What a load generator got: answered requests, over how long, by status."""

    requests: int
    seconds: float
    statuses: dict[int, int]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


@dataclass
class ServerProcess:
    """``bench/bench_http.py --serve KIND`` in a process of its own; tokens made, listening on ``port``."""

    process: subprocess.Popen[str]
    port: int
    tokens: list[str]
    token_file: Path

    @classmethod
    def start(cls, kind: str, redis_url: str | None, tokens: int, folder: Path) -> ServerProcess:
        token_file = folder / f"tokens-{kind}-{time.monotonic_ns()}"
        args = [sys.executable, str(ROOT / "bench" / "bench_http.py"), "--serve", kind, "--tokens", str(tokens),
                "--token-file", str(token_file), *(["--redis-url", redis_url] if redis_url else [])]
        process = subprocess.Popen(args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert process.stdout is not None
        line = process.stdout.readline().split()
        if not line or line[0] != "ready":
            process.kill()
            raise RuntimeError(f"the bench server ({kind}) did not start")
        return cls(process, int(line[1]), token_file.read_text().split("\n"), token_file)

    def cpu_seconds(self) -> float:
        """User and system CPU time the server process used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(60)


# wrk ---------------------------------------------------------------------------------------------


def wrk_installed() -> bool:
    return shutil.which("wrk") is not None


def wrk(port: int, tokens: Sequence[str], body: bytes, connections: int, seconds: float, folder: Path) -> Load:
    """``wrk`` with one thread (one core's worth of load) against ``POST /v1/heartbeat``."""
    token_file = folder / f"wrk-tokens-{time.monotonic_ns()}"
    token_file.write_text("\n".join(tokens))
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(WRK_SCRIPT),
                          f"http://127.0.0.1:{port}", "--", str(token_file), "1", body.decode()],
                         capture_output=True, text=True, check=True).stdout
    found = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    if found is None:
        raise RuntimeError(f"wrk said: {out[-300:]}")
    requests, took = int(found.group(1)), float(found.group(2)) / (1000 if found.group(3) == "ms" else 1)
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    refused = int(failed.group(1)) if failed else 0
    errors = re.search(r"Socket errors: (.*)", out)
    if errors:
        raise RuntimeError(f"wrk: socket errors {errors.group(1)}")
    return Load(requests, took, {200: requests - refused, **({0: refused} if refused else {})})


# the Python client -------------------------------------------------------------------------------


def heartbeat_request(token: str, body: bytes) -> bytes:
    return (f"POST /v1/heartbeat HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def hammer(port: int, tokens: Sequence[str], connections: int, body: bytes, seconds: float | None = None) -> Load:
    """Each token once over ``connections`` keep-alive sockets, for at most ``seconds``."""
    queue = iter(tokens)
    statuses: dict[int, int] = {}
    until = None if seconds is None else time.monotonic() + seconds

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for token in queue:
            if until is not None and time.monotonic() >= until:
                break
            writer.write(heartbeat_request(token, body))
            status = await read_response(reader)
            statuses[status] = statuses.get(status, 0) + 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    return Load(sum(statuses.values()), time.perf_counter() - started, statuses)
