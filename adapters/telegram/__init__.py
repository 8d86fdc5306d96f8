"""The presence plugin for python-telegram-bot v22 (SPEC section 9); see docs/telegram.md."""

from adapters.telegram.outbox import TelegramOutbox
from adapters.telegram.plugin import install, setup_commands
from adapters.telegram.runner import serve
from adapters.telegram.sessions import session_from_update

__all__ = ["TelegramOutbox", "install", "serve", "session_from_update", "setup_commands"]
