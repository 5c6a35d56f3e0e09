"""Cached answers of the public roll, served before the framework is entered.

The roll is read far more often than it changes, and a cached answer needs
neither routing, nor parameters, nor a query: this thin ASGI layer answers it
from the process's RollCache (with ETag and 304) whenever the version is
vouched for by the LISTEN connection, and hands everything else, including
every first request of a query, to the Litestar app, which fills the cache.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.types import Receive, Scope, Send

from .roll_cache import Answer

KINDS = {"/honorees": "json", "/": "html", "/honorees.csv": "csv", "/honorees/stats": "stats"}
CACHE_CONTROL = b"public, no-cache"


class ServeCachedRoll:
    def __init__(self, app: Litestar) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            kind = KINDS.get(scope["path"])
            roll = getattr(self.app.state, "roll", None) if kind else None
            version = roll.live_version() if roll is not None else None
            if version is not None:
                answer = roll.get(version, kind, scope["query_string"])  # type: ignore[union-attr,arg-type]
                if answer is not None:
                    await _send(answer, scope, send)
                    return
        await self.app(scope, receive, send)  # type: ignore[arg-type]


async def _send(answer: Answer, scope: Scope, send: Send) -> None:
    etag = answer.etag.encode()
    headers = [(b"etag", etag), (b"cache-control", CACHE_CONTROL)]
    headers += [(k.lower().encode(), v.encode()) for k, v in answer.headers]
    match = next((v for k, v in scope["headers"] if k == b"if-none-match"), None)
    if match is not None and etag in match:
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    media_type = answer.media_type + ("; charset=utf-8" if answer.media_type.startswith("text/") else "")
    headers += [(b"content-type", media_type.encode()), (b"content-length", str(len(answer.body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})
