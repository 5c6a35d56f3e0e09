"""Cached answers of the public roll, served before the framework is entered.

The roll is read far more often than it changes, and a cached answer needs
neither routing, nor parameters, nor a query: this thin ASGI layer answers it
from the process's RollCache (with ETag and 304, by cache.conditional)
whenever the version is vouched for by the LISTEN connection, and hands
everything else, including every first request of a query, to the Litestar
app, which fills the cache under the same key: the raw query string.
"""

from __future__ import annotations

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send

from shared.http_metrics import REQUESTS, clock
from shared.state import STATE_KEY, ServiceState

from .cache import ROLL, Answer, RollCache, conditional

KINDS = {"/honorees": "json", "/": "html", "/honorees.csv": "csv", "/honorees/stats": "stats"}


class ServeCachedRoll:
    def __init__(self, app: Litestar) -> None:
        self.app = app
        self._roll: RollCache | None = None

    def roll(self) -> RollCache | None:
        """The service's roll cache, once the lifespan has started it."""
        if self._roll is None:
            service: ServiceState | None = self.app.state.get(STATE_KEY)
            self._roll = service.find(ROLL) if service is not None else None
        return self._roll

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and scope["method"] == "GET":
            start = clock()
            path = scope["path"]
            kind = KINDS.get(path)
            roll = self.roll() if kind else None
            version = roll.live_version() if roll is not None else None
            if roll is not None and kind is not None and version is not None:
                answer = roll.get(version, kind, scope["query_string"])
                if answer is not None:
                    status = await _send(answer, scope, send)
                    # Counted as the framework counts the same route (shared/http_metrics.py): its path is its template.
                    REQUESTS.observe("GET", path, status, clock() - start)
                    return
        await self.app(scope, receive, send)


async def _send(answer: Answer, scope: Scope, send: Send) -> int:
    match = next((v for k, v in scope["headers"] if k == b"if-none-match"), None)
    status, named = conditional(answer.etag, match.decode("latin-1") if match is not None else None, answer.headers)
    headers = [(k.lower().encode(), v.encode()) for k, v in named]
    body = b""
    if status == 200:
        body = answer.body
        media_type = answer.media_type + ("; charset=utf-8" if answer.media_type.startswith("text/") else "")
        headers += [(b"content-type", media_type.encode()), (b"content-length", str(len(body)).encode())]
    start: HTTPResponseStartEvent = {"type": "http.response.start", "status": status, "headers": headers}
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(end)
    return status
