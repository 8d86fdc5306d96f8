"""The /presence subcommands, in menu order; descriptions live in the locale files as help.<name>."""

from __future__ import annotations

from functools import cache

from presence_bot import i18n
from presence_bot.parsing import fold

COMMAND = "presence"

SUBCOMMANDS: tuple[str, ...] = (
    "who", "activity", "online", "away", "dnd", "offline", "status", "devices", "sync",
    "link", "unlink", "tracking", "privacy", "forget",
    "capacity", "take", "done", "skills", "hours", "available", "pick", "notify", "watchers",
    "token", "tokens", "help",
)

SET_STATUS = ("online", "away", "dnd", "offline")

# Answers about the asker alone: sent privately (Discord: ephemeral) when asked for in a group. Also
# every command whose answer may show what another linked account set or has (SPEC sections 6 and 7):
# ``sync`` counts devices, ``privacy`` and ``tracking`` are settings shared by linked accounts, ``forget``
# names them.
PERSONAL = frozenset({"activity", "devices", "sync", "link", "unlink", "tracking", "privacy", "forget",
                      "notify", "watchers", "token", "tokens"})

# About the channel, not the asker: answered for someone acting anonymously as a chat too.
CHANNEL_LEVEL = frozenset({"who", "available", "pick", "help"})

# Locale tables of words people type for a subcommand: listed in the help, and understood but not listed.
_ALIAS_TABLES = ("aliases.", "aliases_unlisted.")


def _alias_entries(locale: str, table: str) -> dict[str, str]:
    return {key.removeprefix(table): value for key, value in i18n.strings(locale).items() if key.startswith(table)}


@cache
def _aliases() -> dict[str, str]:
    """Words other locales type for a subcommand (``勿扰`` -> ``dnd``), from the locale files, folded."""
    return {fold(word): name for locale in i18n.LOCALES for table in _ALIAS_TABLES
            for word, name in _alias_entries(locale, table).items()}


def aliases_of(locale: str, name: str) -> list[str]:
    """The listed words of ``locale`` for subcommand ``name``, in file order (for the help)."""
    return [word for word, target in _alias_entries(locale, _ALIAS_TABLES[0]).items() if target == name]


# Ending a command word the way a sentence ends (``who?``, ``谁在线？``, ``help!``) still names it.
_SENTENCE_END = "?？!！.。"


def resolve_subcommand(word: str) -> str | None:
    """The subcommand a word names in any locale, in any case and width (``ＤＮＤ``, ``勿扰``), also with
    a question or exclamation mark or full stop after it (``who?``); None when none."""
    word = fold(word).rstrip(_SENTENCE_END)
    return word if word in SUBCOMMANDS else _aliases().get(word)


@cache
def glued_aliases() -> tuple[str, ...]:
    """Words typed without a space before what follows them (Chinese: ``勿扰30分钟``), longest first."""
    return tuple(sorted((w for w in _aliases() if not w.isascii()), key=len, reverse=True))


@cache
def listed_words() -> frozenset[str]:
    """The subcommands and the aliases the help lists: what a "did you mean" may suggest by name."""
    return frozenset({*SUBCOMMANDS, *(fold(w) for locale in i18n.LOCALES for w in _alias_entries(locale, _ALIAS_TABLES[0]))})


def known_words() -> list[str]:
    """Everything that names a subcommand, for "did you mean …?"."""
    return [*SUBCOMMANDS, *_aliases()]
