"""An operator's own bot project in a folder, running the example of our docs as ``python bot.py``.

The project holds what bot projects usually hold: a ``bot.py`` script, and in the crowded case a
``bot/`` package and an ``adapters.py`` of the operator's own beside it. Python puts the script's
folder first on ``sys.path``, so any of them would shadow an installed package of the same name.

The script is the docs' example, word for word but for the token. Only the platform's address is
redirected to the local fake, by a ``sitecustomize`` module outside the project.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Redirects python-telegram-bot and discord.py to the fakes whose addresses are in the environment.
SITECUSTOMIZE = textwrap.dedent('''
    import os

    if os.environ.get("FAKE_BOT_API"):
        from telegram.ext import ApplicationBuilder

        _build = ApplicationBuilder.build

        def build(self):
            self.base_url(os.environ["FAKE_BOT_API"])
            return _build(self)

        ApplicationBuilder.build = build

    if os.environ.get("FAKE_DISCORD_API"):
        import discord.http
        import yarl
        from discord.gateway import DiscordWebSocket

        discord.http.Route.BASE = os.environ["FAKE_DISCORD_API"]
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["FAKE_DISCORD_GATEWAY"])
''')

# What an operator's own modules of those names might hold; importing ours through them would fail.
OWN_BOT_PACKAGE = {"bot/__init__.py": '"""The operator\'s own handlers."""\nGREETING = "hello"\n',
                   "bot/handlers.py": "def greet() -> str:\n    return 'hello'\n",
                   "adapters.py": '"""The operator\'s own adapters module."""\nSTORAGE = "postgres"\n'}


def doc_example(doc: str, heading: str) -> str:
    """The first ```python block after ``heading`` in ``docs/<doc>``."""
    text = (REPO / "docs" / doc).read_text(encoding="utf-8")
    section = text[text.index(heading):]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, f"no python example under {heading!r} in docs/{doc}"
    return match.group(1)


def write_project(folder: Path, script: str, *, crowded: bool) -> Path:
    """The operator's project: ``bot.py`` (and, when crowded, their own ``bot/`` and ``adapters.py``)."""
    folder.mkdir(parents=True)
    (folder / "bot.py").write_text(script, encoding="utf-8")
    if crowded:
        for name, content in OWN_BOT_PACKAGE.items():
            (folder / name).parent.mkdir(exist_ok=True)
            (folder / name).write_text(content, encoding="utf-8")
    return folder


@asynccontextmanager
async def running_script(project: Path, hooks: Path, env: dict[str, str]) -> AsyncIterator[asyncio.subprocess.Process]:
    """``python bot.py`` in the project folder until the block ends; then interrupted like Ctrl-C."""
    hooks.mkdir(parents=True, exist_ok=True)
    (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    # Nothing of this repository is on the path: the child sees only what pip installed.
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PRESENCE_") and k != "PYTHONPATH"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "bot.py", cwd=project, env={**environ, "PYTHONPATH": str(hooks), **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(2)  # SIGINT, as Ctrl-C
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()


async def output(process: asyncio.subprocess.Process) -> str:
    assert process.stderr is not None
    return (await process.stderr.read()).decode(errors="replace")
