"""Cached answers of the public roll, served before the framework is entered.

The roll is read far more often than it changes, and a cached answer needs
neither routing, nor parameters, nor a query: this thin ASGI layer answers it
from the process's RollCache (with ETag and 304, by cache.conditional)
whenever the version is vouched for by the LISTEN connection. A first
`GET /honorees` whose query names only the roll's own parameters, each once,
is rendered here too, by the handler's own function (controller.honorees_json),
and cached under the same key; the framework took half of such a search's
time. Everything else, and any request whose rendering fails (a bad value, an
unknown id: the framework answers its problem document), goes to the Litestar
app, which fills the cache under the same key: the raw query string.
"""

from __future__ import annotations

from urllib.parse import unquote

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, Receive, Scope, Send

from shared.http_metrics import REQUESTS, clock
from shared.state import STATE_KEY, ServiceState

from .cache import ROLL, Answer, RollCache, conditional
from .controller import honorees_json
from .params import FILTERS, RollPaging, RollParams

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
                query = scope["query_string"]
                answer = roll.get(version, kind, query)
                if answer is None and kind == "json":
                    answer = await self._render(roll, query)
                if answer is not None:
                    status = await _send(answer, scope, send)
                    # Counted as the framework counts the same route (shared/http_metrics.py): its path is its template.
                    REQUESTS.observe("GET", path, status, clock() - start)
                    return
        await self.app(scope, receive, send)

    async def _render(self, roll: RollCache, query: bytes) -> Answer | None:
        """The first answer of a plain `GET /honorees` query, rendered and cached as the handler would;
        None (the framework's to answer) for any other query, or when rendering it fails."""
        named = _plain(query)
        if named is None:
            return None
        service: ServiceState = self.app.state[STATE_KEY]
        filters = RollParams(**{name: named.get(name) for name in FILTERS})
        paging = RollPaging(limit=named.get("limit"), cursor=named.get("cursor"))
        try:
            return await roll.answer("json", query, lambda: honorees_json(service.pool, filters, paging))
        except Exception:  # a 400 or 404 to explain, or an outage: as the framework answers it
            return None


_PARAMETERS = frozenset((*FILTERS, "limit", "cursor"))


def _plain(query: bytes) -> dict[str, str] | None:
    """The parameters of a query string naming only the roll's own, each once, percent-encoded UTF-8 without
    '+'; None for anything else (left to the framework's reading of query strings)."""
    if b"+" in query:
        return None
    named: dict[str, str] = {}
    for part in query.split(b"&"):
        if not part:
            continue
        raw_name, _, raw_value = part.partition(b"=")
        try:
            name = raw_name.decode("ascii")
            value = unquote(raw_value.decode("ascii"), errors="strict")
        except UnicodeDecodeError:
            return None
        if name not in _PARAMETERS or name in named:
            return None
        named[name] = value
    return named


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
