"""How the bot behaves in chats, independent of where settings came from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BotOptions:
    default_locale: str = "en"
    # Others see "within the hour" instead of a time; the person themself always sees the exact time.
    coarse_last_seen: bool = True
    who_limit: int = 50
    prompt_timeout_s: float = 60.0
    # Commands per person per minute (all chats), and answers per chat per minute; a person's first
    # fair_share_per_minute commands in a chat are answered even when the chat's budget is spent.
    user_commands_per_minute: int = 20
    chat_commands_per_minute: int = 120
    fair_share_per_minute: int = 5
