"""What uvicorn logs, made fit for an operator's log (SPEC section 7: tokens are never logged).

uvicorn writes a line per WebSocket handshake with the URL's query string (where a careless client
puts its token), the ``websockets`` library a line per connection opened and closed, both at INFO,
and its start-up lines carry a ``color_message`` extra full of ANSI escape codes that a structured
log handler prints as one more field. ``QuietUvicorn`` drops the per-connection lines (kept at
DEBUG when uvicorn's logger is enabled for it), cuts the query string off every URL it logs (the
access log's too, should an operator turn it on), blanks anything that looks like a token, and
removes ``color_message``.
"""

from __future__ import annotations

import logging
import re

# uvicorn's own loggers: "uvicorn.error" (server, protocols, and the websockets library it hands it to)
# and "uvicorn.access" (a line per request; off in ``Served``).
LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
# One line per connection: the websockets library's, and uvicorn's handshake lines ('%s - "WebSocket %s" …').
_PER_CONNECTION = ("connection open", "connection closed", '%s - "WebSocket %s"')
# Anything a token could be, whole or cut short (presence_core.tokens: "prs_" and base64url).
_TOKEN_LIKE = re.compile(r"prs_[A-Za-z0-9_-]*", re.IGNORECASE)


def _without_query(value: object) -> object:
    """A logged path (``/…``) without its query string; anything else unchanged."""
    if isinstance(value, str) and value.startswith("/"):
        return value.partition("?")[0]
    return value


class QuietUvicorn(logging.Filter):
    """A filter for uvicorn's loggers; see the module docstring."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.__dict__.pop("color_message", None)
        if record.levelno == logging.INFO and isinstance(record.msg, str) and record.msg.startswith(_PER_CONNECTION):
            if not logging.getLogger(record.name).isEnabledFor(logging.DEBUG):
                return False
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        if isinstance(record.args, tuple):
            record.args = tuple(_without_query(arg) for arg in record.args)
        message = record.getMessage()
        blanked = _TOKEN_LIKE.sub("prs_***", message)
        if blanked != message:
            record.msg, record.args = blanked, ()
        return True


def quiet_uvicorn() -> None:
    """Install ``QuietUvicorn`` on uvicorn's loggers, once per process."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, QuietUvicorn) for f in logger.filters):
            logger.addFilter(QuietUvicorn())
