"""Hot routes done before the framework when the request is plain and succeeds; the framework answers the rest.

Litestar's routing, dependency injection, guards, signature model and
response building cost about 40% of the awards process's CPU for a
`POST /nominations` (py-spy; tests/awards/bench_nominations.py). A service
names such routes in its ServiceSpec (`before_framework`): a function that
does the handler's own work with the same use-case function, given the body,
the bearer token and the service's state, and returns the answer's status and
JSON body, or None to decline.

The layer sits where the framework's handler does: after Litestar's entry
and inside the request-id, tracing and metrics wrappers (shared/web.py), so
its answers carry X-Request-ID, are traced and are counted under their route.
It takes a request only when it is plain: a JSON body of a declared length
within the limit, a bearer token, no Idempotency-Key (shared/idempotency.py's
to handle). Every other request, and every request the function declines or
raises on (a bad token, a role the route refuses, a body the schema refuses,
a refusal of the use case, an outage), is handed to the framework with the
body already read, and answered as it always is, problem documents included.
So a route function may raise only before its write commits, or when nothing
was written (its transaction rolled back, its statement inserted nothing):
it then runs once more, through the framework, which answers the refusal.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass

from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)
from prometheus_client.core import CounterMetricFamily
from prometheus_client.metrics_core import Metric

from shared.auth import BEARER, Principal
from shared.idempotency import HEADER as IDEMPOTENCY_KEY
from shared.settings import MAX_BODY_BYTES
from shared.state import ServiceState, service_state


@dataclass(frozen=True, slots=True)
class Plain:
    """What a route function is given: the request's body and token, and the service."""

    body: bytes
    token: str
    service: ServiceState

    async def principal(self) -> Principal:
        """The caller (a Problem for a bad or disabled token: the framework then answers it)."""
        return await self.service.verifier.verify(self.token)


Answer = tuple[int, bytes]  # the status and the JSON body of a success
Route = Callable[[Plain], Awaitable[Answer | None]]
Routes = Mapping[tuple[str, str], Route]  # by (method, path)

_JSON = b"application/json"
_BEARER = BEARER.encode()

# Plain requests of each route done here, and those handed to the framework (declined, refused, failed).
OUTCOMES: Counter[tuple[str, str, str]] = Counter()  # (method, path, "done" or "declined")


class BeforeFramework:
    """ASGI: the `routes` done for plain requests, everything else passed to `app` (the framework's handler)."""

    def __init__(self, app: ASGIApp, routes: Routes) -> None:
        self.app = app
        self.routes = dict(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        route = self.routes.get((scope["method"], scope["path"]))
        token = _plain_token(scope) if route is not None else None
        if route is None or token is None:
            await self.app(scope, receive, send)
            return
        messages: list[ReceiveMessage] = []
        body = b""
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                answer = await _answer(route, Plain(body, token, service_state(scope["litestar_app"])))
                OUTCOMES[scope["method"], scope["path"], "declined" if answer is None else "done"] += 1
                if answer is not None:
                    scope["path_template"] = scope["path"]  # as the framework names the route (metrics, spans)
                    await _send(send, *answer)
                    return
                break

        async def replay() -> ReceiveMessage:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


def _plain_token(scope: HTTPScope) -> str | None:
    """The bearer token of a request plain enough to be done here; None otherwise."""
    token = None
    length = -1
    json = False
    for key, value in scope["headers"]:
        if key == b"authorization":
            if token is not None or value[: len(_BEARER)].lower() != _BEARER:
                return None  # not a bearer token, or two of them: the framework's to judge
            token = value[len(_BEARER) :].decode("latin-1").strip()
        elif key == b"content-length":
            length = int(value) if value.isdigit() else -1
        elif key == b"content-type":
            json = value.split(b";")[0].strip().lower() == _JSON
        elif key == IDEMPOTENCY_KEY:
            return None
    return token if token and json and 0 < length <= MAX_BODY_BYTES else None


async def _answer(route: Route, request: Plain) -> Answer | None:
    try:
        return await route(request)
    except Exception:  # declined: the framework does it again and answers (see the module's docstring)
        return None


async def _send(send: Send, status: int, body: bytes) -> None:
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", _JSON), (b"content-length", str(len(body)).encode())],
    }
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(end)


async def outcome_metrics(_service: object) -> Iterable[Metric]:
    """The metrics source (shared/metrics.py SOURCES): what this process did before the framework."""
    family = CounterMetricFamily(
        "thidua_http_before_framework_requests",
        "Plain requests of a hot route done before the framework (done) or handed to it (declined: a bad token "
        "or body, a refusal, an outage); per process: sum over pid.",
        labels=["method", "route", "outcome", "pid"],
    )
    pid = str(os.getpid())
    for (method, path, outcome), count in sorted(OUTCOMES.items()):
        family.add_metric([method, path, outcome, pid], count)
    return [family]
