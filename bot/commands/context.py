"""What every command handler gets: the session, the service, and helpers to word its answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from presence_bot import i18n, timefmt
from presence_bot.options import BotOptions
from presence_bot.parsing import MAX_DURATION_MS, MIN_DURATION_MS, Quoted, fold, parse_duration
from presence_bot.reply import Line, Reply
from presence_bot.session import Session
from presence_bot.text import echo, sanitize
from presence_core import PresenceService, Status


class UsageError(Exception):
    """Bad input: answered with one localized line and the command's usage line.

    Text values are what the person typed, so each is repeated only as a short cut piece (``echo``);
    a list value (say, the person's linked accounts) is the bot's own and is shown whole.
    ``durations`` (name -> ms) are written out in the answer's language.
    """

    def __init__(self, key: str, *, durations: Mapping[str, int] | None = None, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = {name: echo(value) if isinstance(value, str) else value for name, value in values.items()}
        self.durations = dict(durations or {})


class PrivateChatNeededError(Exception):
    """The command gives something for the asker's eyes only (a secret, an erase dialogue), and this
    place cannot promise a private answer (or, for a dialogue, a private reply): answered with one
    line, publicly, and nothing is done."""


@cache
def words(name: str) -> frozenset[str]:
    """Argument words (``clear``, ``yes`` …) in every locale, folded (``parsing.fold``)."""
    found: set[str] = set()
    for locale in i18n.LOCALES:
        found.update(fold(w.strip()) for w in i18n.strings(locale).get(f"words.{name}", "").split("|"))
    return frozenset(w for w in found if w)


def is_word(arg: str, name: str) -> bool:
    """Whether ``arg`` is one of the argument words ``name`` (typed, not quoted as text)."""
    return not isinstance(arg, Quoted) and fold(arg.strip()).rstrip(".!。！") in words(name)


@dataclass(frozen=True, slots=True)
class Context:
    session: Session
    service: PresenceService
    options: BotOptions
    locale: str

    @property
    def user_id(self) -> str:
        return self.session.user_id

    @property
    def asked_from(self) -> str | None:
        """The channel whose people the asker may see (SPEC section 7); None in a direct chat,
        where they may see the people they share any channel with."""
        return None if self.session.is_direct else self.session.channel_id

    def now(self) -> int:
        return self.service.clock()

    def require_private_chat(self) -> None:
        """Call before making a secret or starting a private dialogue: raises ``PrivateChatNeededError``
        unless a private answer is sure to reach the asker alone (``Session.private_guaranteed``)."""
        if not self.session.private_guaranteed:
            raise PrivateChatNeededError()

    def require_direct_chat(self) -> None:
        """Call before a dialogue whose answers the person types (``forget``'s "yes"): raises
        ``PrivateChatNeededError`` outside a direct chat. A Discord slash command in a server is answered
        privately, but the next message, where the answer is awaited, is typed in the channel."""
        if not self.session.is_direct:
            raise PrivateChatNeededError()

    async def linked_here(self) -> bool:
        """Whether, in a group, the asker has other linked accounts, whose names and settings this
        group must never learn from an answer (SPEC sections 6 and 7). False in a direct chat."""
        if self.session.is_direct:
            return False
        return len(await self.service.linked_accounts(self.user_id)) > 1

    def line(self, key: str, **values: object) -> Line:
        return i18n.line(self.locale, key, **values)

    def reply(self, *lines: Line, private: bool = False, ping: str | None = None) -> Reply:
        return Reply(tuple(lines), private=private, ping=ping)

    def text(self, key: str, **values: object) -> str:
        return i18n.text(self.locale, key, **values)

    def person_name(self, *names: str | None) -> str:
        """What a reply calls a person: the first of ``names`` (best first) with visible text in it,
        cleaned to one line; "someone" when none has. Never an account id (SPEC section 7)."""
        return next((clean for name in names if (clean := sanitize(name or ""))), None) or self.text("person.unnamed")

    def status_name(self, status: Status) -> str:
        return self.text(f"status.{status.value}")

    def icon(self, status: Status) -> str:
        return self.text(f"icon.{status.value}")

    def ago(self, moment: int | None, *, exact: bool = True, coarse: bool = False) -> str:
        """Exact for one's own times; others' coarsely when the operator says so, or when ``coarse``
        (the asker hides their own last seen)."""
        if exact or not (coarse or self.options.coarse_last_seen):
            return timefmt.ago(self.locale, moment, self.now())
        return timefmt.coarse_ago(self.locale, moment, self.now())

    def until(self, moment: int) -> str:
        return timefmt.until(self.locale, moment, self.now())

    def duration(self, ms: int) -> str:
        return timefmt.duration(self.locale, ms)


def read_duration(args: Sequence[str], *, lead: str | None = None, longest: int = MAX_DURATION_MS) -> int:
    """Arguments that together spell one duration (``1h 30m``, ``1h30m``, ``半小时``), checked for range.

    ``lead`` names an argument word that may come first (``for`` in ``dnd for 10m``, also glued as
    in ``持续30分钟``); ``longest`` (ms) is what this duration may be at most (a watch: 30 days).
    Raises UsageError when the duration is missing, unreadable or out of range (the error names
    the range).
    """
    args = list(args)
    if lead is not None and args:
        if is_word(args[0], lead):
            args.pop(0)
        else:
            args[0] = glued_lead(args[0], lead) or args[0]
    text = " ".join(args)
    if not text.strip():
        raise UsageError("error.missing_duration")
    ms = parse_duration(text)
    if ms is None:
        raise UsageError("error.bad_duration", text=text)
    if not MIN_DURATION_MS <= ms <= longest:
        raise UsageError("error.duration_range", durations={"shortest": MIN_DURATION_MS, "longest": longest})
    return ms


def glued_lead(arg: str, lead: str) -> str | None:
    """``持续30分钟`` -> ``30分钟``: the duration after a non-Latin argument word typed without a space."""
    if isinstance(arg, Quoted):
        return None
    for word in sorted(words(lead), key=len, reverse=True):
        if not word.isascii() and fold(arg).startswith(word) and parse_duration(arg[len(word):]) is not None:
            return arg[len(word):]
    return None


def expect_no_more(args: Sequence[str]) -> None:
    if args:
        raise UsageError("error.unexpected", text=" ".join(args))


Handler = Callable[[Context, Sequence[str]], Awaitable[Reply | None]]
