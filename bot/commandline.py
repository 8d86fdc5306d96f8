"""Reading a /presence command line as people type it: which subcommand, and the arguments after it."""

from __future__ import annotations

import re
from collections.abc import Sequence

from presence_bot.catalog import glued_aliases, resolve_subcommand
from presence_bot.parsing import Quoted, fold, parse_duration, read_count

# What people put between a command word and its argument besides a space: ``status: busy``,
# ``状态：开会``, ``勿扰，30分钟``.
SEPARATORS = ":：,，、"
_FIRST_WORD = re.compile(r"\s*(\S+)")
# Subcommands whose first argument is free text: "状态开会" is status "开会".
_TEXT_FIRST = frozenset({"status"})
# Discord's slash subcommand groups (``/presence team pick``): typed as a word, the group is skipped.
GROUP_WORDS = frozenset({"team"})


def separate(text: str) -> str:
    """The command line with its first word standing alone, as ``split_args`` needs it.

    ``状态：“在 路上”`` -> ``状态 “在 路上”``, ``勿扰30分钟`` -> ``勿扰 30分钟``, ``status:busy`` ->
    ``status busy``. Only a word that names a subcommand is separated; anything else is left as typed.
    """
    match = _FIRST_WORD.match(text)
    if match is None or resolve_subcommand(match[1]) is not None:
        return text
    first, after = match[1], text[match.end():]
    cut = next((i for i, ch in enumerate(first) if ch in SEPARATORS), None)
    if cut is not None and resolve_subcommand(first[:cut]) is not None:
        return f"{first[:cut]} {first[cut + 1:]}{after}"
    glued = _glued(first)
    if glued is not None:
        return f"{first[:glued]} {first[glued:]}{after}"
    return text


def _glued(word: str) -> int | None:
    """Where a Chinese alias ends that is glued to what its subcommand takes (``勿扰30分钟`` -> 2)."""
    for alias in glued_aliases():
        size = len(alias)
        if len(word) <= size or fold(word[:size]) != alias:
            continue
        name, tail = resolve_subcommand(alias), word[size:]
        if name is not None and (name in _TEXT_FIRST or read_count(tail) is not None or parse_duration(tail) is not None):
            return size
    return None


def read_command(args: Sequence[str]) -> tuple[str | None, list[str]]:
    """The subcommand the first argument names and the arguments for it; (None, args) when it names none.

    A bare ``/presence`` is ``("presence", [])``; a quoted first word is text, never a command; a
    Discord group word before a subcommand (``team pick``) is skipped.
    """
    if not args:
        return "presence", []
    if len(args) > 1 and not isinstance(args[0], Quoted) and fold(args[0]) in GROUP_WORDS:
        args = args[1:]
    first = args[0]
    name = None if isinstance(first, Quoted) else resolve_subcommand(first)
    return (name, list(args[1:])) if name is not None else (None, list(args))
