"""The /presence subcommands, in menu order; descriptions live in the locale files as help.<name>."""

from __future__ import annotations

COMMAND = "presence"

SUBCOMMANDS: tuple[str, ...] = (
    "who", "activity", "online", "away", "dnd", "offline", "status", "devices", "sync",
    "link", "unlink", "tracking", "forget", "help",
)

SET_STATUS = ("online", "away", "dnd", "offline")

# Answers that are about the asker alone: sent privately when asked for in a group.
PERSONAL = frozenset({"activity", "devices", "link", "unlink", "sync", "forget", "tracking"})
