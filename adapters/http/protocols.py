"""uvicorn's protocols, answering what they refuse on their own in the API's one JSON error shape.

Some requests never reach the app: uvicorn's HTTP parser answers a request it cannot read (a
malformed request line or header, an unreadable ``Content-Length``) with a plain-text 400, and the
``websockets`` library a WebSocket handshake it refuses (no ``Sec-WebSocket-Key``, a wrong version)
with a plain-text sentence of its own. These subclasses give those answers the shape and the wording
of every other error (``presence_adapters.http.errors``); ``Served`` runs uvicorn with them.
"""

from __future__ import annotations

import email.utils
import http
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.datastructures import Headers
from websockets.http11 import Response

from presence_adapters.http.errors import STATUS_CODES, ApiError, error_json

MALFORMED_REQUEST = ApiError(400, "malformed_request", "the request is not valid HTTP/1.1")
# A refused handshake, by status; any other status gets its code and phrase.
_HANDSHAKE = {
    400: ApiError(400, "malformed_request", "not a valid WebSocket handshake: send 'Upgrade: websocket', "
                                            "'Sec-WebSocket-Key' and 'Sec-WebSocket-Version: 13'"),
    500: ApiError(500, "internal", "something went wrong on our side"),
}


class JsonHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol; a request it cannot parse gets ``MALFORMED_REQUEST``."""

    def send_400_response(self, msg: str) -> None:
        payload = error_json(MALFORMED_REQUEST)
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        head += [name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers]
        head += [b"content-type: application/json\r\n", b"content-length: " + str(len(payload)).encode() + b"\r\n",
                 b"connection: close\r\n", b"\r\n"]
        self.transport.write(b"".join(head) + payload)
        self.transport.close()


class JsonWebSockets(WebSocketsSansIOProtocol):
    """uvicorn's protocol over the ``websockets`` library; every handshake it refuses is answered in JSON."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # ``reject`` is where the library (and uvicorn) build every refusal of a handshake.
        self.conn.reject = _reject  # type: ignore[method-assign]


def _reject(status: http.HTTPStatus | int, text: str) -> Response:
    status = http.HTTPStatus(status)
    error = _HANDSHAKE.get(status.value) or ApiError(status.value, STATUS_CODES.get(status.value, "error"),
                                                     status.phrase.lower())
    body = error_json(error)
    headers = Headers([("Date", email.utils.formatdate(usegmt=True)), ("Connection", "close"),
                       ("Content-Length", str(len(body))), ("Content-Type", "application/json")])
    return Response(status.value, status.phrase, headers, body)
