"""The presence plugin for python-telegram-bot v22 (SPEC section 9); see docs/telegram.md."""

from presence_adapters.telegram.clock import clock_requests
from presence_adapters.telegram.membership import membership_change
from presence_adapters.telegram.outbox import TelegramOutbox
from presence_adapters.telegram.plugin import ALLOWED_UPDATES, install, setup_commands
from presence_adapters.telegram.runner import serve
from presence_adapters.telegram.sessions import session_from_update

__all__ = ["ALLOWED_UPDATES", "TelegramOutbox", "clock_requests", "install", "membership_change", "serve",
           "session_from_update", "setup_commands"]
