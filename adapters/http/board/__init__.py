"""The live board (SPEC section 11): ``GET /rooms/{id}`` serves one page and its one script, no build step.

The page asks for a token once, keeps it in ``sessionStorage`` (never in the URL) and shows the
room's people from the live feed. A strict Content-Security-Policy allows only this script, the
page's own style block and connections back to this server.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from importlib import resources

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response

_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


@cache
def _file(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text("utf-8")


@cache
def _headers() -> dict[str, str]:
    style = _STYLE.search(_file("index.html"))
    digest = base64.b64encode(hashlib.sha256((style.group(1) if style else "").encode()).digest()).decode()
    policy = (f"default-src 'none'; script-src 'self'; style-src 'sha256-{digest}'; connect-src 'self'; "
              "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    return {"Content-Security-Policy": policy, "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store"}


def install(app: FastAPI) -> None:
    @app.get("/rooms/{room_id:path}", include_in_schema=False)
    async def board(room_id: str) -> HTMLResponse:
        return HTMLResponse(_file("index.html"), headers=_headers())

    @app.get("/board/board.js", include_in_schema=False)
    async def script() -> Response:
        return Response(_file("board.js"), media_type="text/javascript", headers=_headers())
