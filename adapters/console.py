"""A terminal chat for trying the bot with no platform and no network (SPEC section 9).

Each line is a message from the current user in the current channel; ``:user NAME``,
``:channel NAME``, ``:dm``, ``:lang CODE`` and ``:quit`` switch context. Piped input works too: at
its end every pending answer is given and the chat exits.

The console behaves like the platforms' group chats, which it stands for: a channel is shared by
everyone typed in it, so a private answer there is a direct message (printed as one, "(to NAME)"),
never a sure private answer; link codes, tokens and ``forget`` need ``:dm``. A NAME is a username:
``Ann`` and ``ann`` are one account (``console:ann``), and ``@ANN`` mentions it, as on Telegram
and Discord.
"""

from __future__ import annotations

import asyncio
import codecs
import io
import os
import re
import sys
import threading
from dataclasses import dataclass
from types import MappingProxyType
from typing import TextIO

from presence_bot import i18n
from presence_bot.app import PresenceBot
from presence_bot.reply import Reply
from presence_bot.session import Session
from presence_bot.text import echo

PLATFORM = "console"
_MENTION = re.compile(r"@([\w.-]+)")


@dataclass
class ConsoleState:
    user: str = "you"
    channel: str = "lobby"
    direct: bool = False
    locale: str | None = None

    @property
    def user_id(self) -> str:
        return account(self.user)

    @property
    def channel_id(self) -> str:
        return f"{PLATFORM}:dm/{self.user.casefold()}" if self.direct else f"{PLATFORM}:{self.channel}"

    @property
    def place(self) -> str:
        return "DM" if self.direct else f"#{self.channel}"


def account(name: str) -> str:
    """The account a console name stands for: names are usernames, the same in any case."""
    return f"{PLATFORM}:{name.casefold()}"


class ConsoleOutbox:
    """Prints replies as plain text; a private answer asked for in a channel is printed as the direct
    message it is on the platforms, "(to NAME) …"."""

    def __init__(self, out: TextIO, presence_bot: PresenceBot) -> None:
        self._out = out
        self._bot = presence_bot

    async def send(self, session: Session, reply: Reply) -> None:
        text = reply.render("plain")
        if reply.private and not session.is_direct:
            text = f"{i18n.text(self._bot.locale_for(session), 'console.to', user=session.user_name)} {text}"
        self._print(text)

    async def send_direct(self, user_id: str, reply: Reply, silent: bool) -> bool:
        """A private message to a console person (a watch that fired), whoever is typing now: there is
        no sound to keep silent."""
        to = i18n.text(self._bot.options.default_locale, "console.to", user=user_id.removeprefix(f"{PLATFORM}:"))
        self._print(f"{to} {reply.render('plain')}")
        return True

    def _print(self, text: str) -> None:
        for line in text.splitlines() or [""]:
            self._out.write(f"bot> {line}\n")
        self._out.flush()


async def open_lines(stream: TextIO) -> asyncio.Queue[str | None]:
    """The lines of ``stream`` as they arrive, then None at its end.

    A real terminal or pipe is read by a daemon thread with ``os.read`` on its file descriptor: the
    event loop never waits for input, so Ctrl-C (which cancels the loop's work) leaves at once,
    even while nobody has pressed Enter, and exiting never waits for that thread. A stream without
    a file descriptor (a test's StringIO) is read at once.
    """
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        for line in stream:
            lines.put_nowait(line.rstrip("\n"))
        lines.put_nowait(None)
        return lines
    loop = asyncio.get_running_loop()
    threading.Thread(target=_pump, args=(fd, loop, lines), name="presence-console-input", daemon=True).start()
    return lines


def _pump(fd: int, loop: asyncio.AbstractEventLoop, lines: asyncio.Queue[str | None]) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    pending = ""
    try:
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""  # the input went away: that is its end
            if not chunk:
                break
            *complete, pending = (pending + decoder.decode(chunk)).split("\n")
            for line in complete:
                loop.call_soon_threadsafe(lines.put_nowait, line)
        rest = pending + decoder.decode(b"", final=True)
        for line in ([rest] if rest else []) + [None]:
            loop.call_soon_threadsafe(lines.put_nowait, line)
    except RuntimeError:
        pass  # the event loop is closed: the console has ended


class Console:
    def __init__(self, presence_bot: PresenceBot, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
        self.bot = presence_bot
        self.state = ConsoleState()
        self._in = stdin
        self._out = stdout
        self._outbox = ConsoleOutbox(stdout, presence_bot)
        presence_bot.watches.register(PLATFORM, self._outbox.send_direct)
        self._interactive = stdin.isatty()
        self._lines: asyncio.Queue[str | None] | None = None

    def _say(self, key: str, **values: object) -> None:
        locale = i18n.pick_locale(self.state.locale, self.bot.options.default_locale)
        self._out.write(i18n.text(locale, key, **values) + "\n")
        self._out.flush()

    def session(self, content: str) -> Session:
        state = self.state
        named = _MENTION.findall(content)
        mentions = {f"@{m}": account(m) for m in named}
        return Session(
            platform=PLATFORM, self_id="presence", user_id=state.user_id, user_name=state.user,
            username=state.user,
            channel_id=state.channel_id, guild_id=None, is_direct=state.direct, content=content,
            message_id=None, timestamp=self.bot.service.clock(), locale=state.locale,
            kind="command" if content.lstrip().startswith(("/", "／")) else "message",
            outbox=self._outbox, mentions=MappingProxyType(mentions),
            # A console person's name is their id: someone mentioned but never seen is named too.
            names=MappingProxyType({account(m): m for m in named}),
            channel_name=None if state.direct else f"#{state.channel}", local=True,
        )

    def _switch(self, line: str) -> bool:
        """Apply a ``:`` command; False for ``:quit``."""
        word, _, arg = line[1:].partition(" ")
        arg = arg.strip()
        if word == "quit":
            return False
        if word == "user" and arg:
            self.state.user = arg
        elif word == "channel" and arg:
            self.state.channel, self.state.direct = arg.lstrip("#"), False
        elif word == "dm":
            self.state.direct = True
        elif word == "lang" and arg:
            locale = i18n.match_locale(arg)
            if locale is None:
                self._say("console.unknown_lang", code=echo(arg), codes=" ".join(i18n.LOCALES))
                return True
            self.state.locale = locale
        else:
            self._say("console.unknown", word=echo(line.split()[0]))
            return True
        self._say("console.context", user=self.state.user, place=self.state.place)
        return True

    async def _read(self) -> str | None:
        if self._interactive:
            self._out.write(f"{self.state.user}@{self.state.place}> ")
            self._out.flush()
        if self._lines is None:
            self._lines = await open_lines(self._in)
        line = await self._lines.get()
        # A byte-order mark (Windows editors put one at the start of a file) is no part of the command.
        return line.rstrip("\r").removeprefix("\ufeff") if line is not None else None

    async def run(self) -> None:
        if self._interactive:
            self._say("console.banner", user=self.state.user, channel=self.state.channel)
        while (line := await self._read()) is not None:
            if not line.strip():
                continue
            if line.startswith(":"):
                if not self._switch(line.strip()):
                    break
                continue
            await self.bot.handle(self.session(line))
        await self.bot.close()
