"""``presence-bot`` as operators run it: a child process on the console, with settings from the environment."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMAND = [sys.executable, "-m", "presence_adapters.cli"]


def bot_env(url: str, **settings: str) -> dict[str, str]:
    """This environment without any ``PRESENCE_*`` of its own, storing in Redis at ``url``; ``settings``
    adds ``PRESENCE_<NAME>`` variables (``heartbeat_interval_ms="1000"``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESENCE_")}
    extra = {f"PRESENCE_{name.upper()}": value for name, value in settings.items()}
    return {**env, "PRESENCE_STORAGE": "redis", "PRESENCE_REDIS_URL": url, "PYTHONPATH": str(ROOT), **extra}


def run_bot(cwd: Path, url: str, stdin: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """Runs the console bot until ``stdin`` ends; its exit code is the caller's to check."""
    return subprocess.run(COMMAND, input=stdin, capture_output=True, text=True, cwd=cwd,
                          env=bot_env(url, **settings), timeout=60)


class RunningBot:
    """A console bot kept running: ``say`` types a line, ``stderr`` holds the lines it logged so far."""

    def __init__(self, cwd: Path, url: str, **settings: str) -> None:
        self.process = subprocess.Popen(COMMAND, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True, cwd=cwd, env=bot_env(url, **settings))
        self.stderr: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line.rstrip("\n"))

    def say(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def wait_for(self, words: str, timeout: float = 30.0) -> str:
        """The first line logged that holds ``words``, waiting for it up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in self.stderr if words in line]
            if found:
                return found[0]
            if self.process.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"presence-bot never logged {words!r}; it logged:\n" + "\n".join(self.stderr))

    def stop(self) -> int:
        """Ends the console (end of input) and waits for the process; its exit code."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            code = self.process.wait(30)
        finally:
            self.process.kill()
            self._reader.join(5)
        return code
