"""The /presence subcommands, in menu order; descriptions live in the locale files as help.<name>."""

from __future__ import annotations

from functools import cache

from presence_bot import i18n

COMMAND = "presence"

SUBCOMMANDS: tuple[str, ...] = (
    "who", "activity", "online", "away", "dnd", "offline", "status", "devices", "sync",
    "link", "unlink", "tracking", "forget", "help",
)

SET_STATUS = ("online", "away", "dnd", "offline")

# Answers about the asker alone: sent privately (Discord: ephemeral) when asked for in a group.
PERSONAL = frozenset({"activity", "devices", "link", "unlink"})

# About the channel, not the asker: answered for someone acting anonymously as a chat too.
CHANNEL_LEVEL = frozenset({"who", "help"})



@cache
def _aliases() -> dict[str, str]:
    """Words other locales type for a subcommand (``勿扰`` -> ``dnd``), from the locale files."""
    found: dict[str, str] = {}
    for locale in i18n.LOCALES:
        for key, value in i18n.strings(locale).items():
            if key.startswith("aliases."):
                found[key.removeprefix("aliases.").lower()] = value
    return found


def resolve_subcommand(word: str) -> str | None:
    word = word.lower()
    return word if word in SUBCOMMANDS else _aliases().get(word)


def known_words() -> list[str]:
    """Everything that names a subcommand, for "did you mean …?"."""
    return [*SUBCOMMANDS, *_aliases()]
