"""The console's HTTP client of the three services: every rule stays theirs.

One `httpx.AsyncClient` per process (kept in `ServiceState` under `HTTP`,
opened at start and closed at stop) holds the connections; each request gets
an `Api`: that client, the services' base URLs and the signed-in user's access
token, and a count of the calls it made and their time, which the page's
answer reports in its `Server-Timing` header.

What a service answers becomes one of three things: its JSON; `Refused`, a
4xx with the problem document's detail and field errors, for the page to show
next to the fields they name; or `Unavailable`, when the service cannot be
reached or fails (5xx). A 401 to the user's token is `TokenRefused`: the
session is over (signed out elsewhere, or the account was locked).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec

from shared import tracing
from shared.settings import Settings
from shared.state import ServiceState, StateKey

HTTP: StateKey[httpx.AsyncClient] = StateKey("console.http")

TIMEOUT = httpx.Timeout(15.0, connect=3.0)
SERVICE_NAMES = {"units": "đơn vị", "awards": "khen thưởng", "events": "sự kiện"}


async def open_client(service: ServiceState) -> None:
    service.put(
        HTTP,
        httpx.AsyncClient(
            timeout=TIMEOUT,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=100),
            follow_redirects=False,
        ),
    )


async def close_client(service: ServiceState) -> None:
    client = service.find(HTTP)
    if client is not None:
        await client.aclose()


def base_urls(settings: Settings) -> dict[str, str]:
    return {
        "units": settings.auth.units_url,
        "awards": settings.peers.awards_url,
        "events": settings.peers.events_url,
    }


@dataclass(frozen=True, slots=True)
class FieldProblem:
    field: str
    message: str


class ServiceError(Exception):
    """Something a service answered that is not what the page asked for."""


class Refused(ServiceError):
    """A 4xx: the service's reason, and the fields it names, as it gave them."""

    def __init__(
        self,
        service: str,
        status: int,
        detail: str,
        errors: list[FieldProblem] | None = None,
        *,
        type_: str = "about:blank",
        retry_after: str | None = None,
    ) -> None:
        super().__init__(f"{service} answered {status}: {detail}")
        self.service = service
        self.status = status
        self.detail = detail
        self.errors = errors or []
        self.type = type_
        self.retry_after = retry_after

    def by_field(self) -> dict[str, str]:
        """Each named field's message (the first, when a field is named twice)."""
        found: dict[str, str] = {}
        for e in self.errors:
            found.setdefault(e.field, e.message)
        return found


class TokenRefused(Refused):
    """401 to the user's token: the session must end."""


class Unavailable(ServiceError):
    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"the {service} service is unavailable: {reason}")
        self.service = service
        self.reason = reason


@dataclass
class Calls:
    """The service calls one page made: their number and their time (the `Server-Timing` header says both)."""

    count: int = 0
    seconds: float = 0.0
    paths: list[str] = field(default_factory=list)


class Api:
    """One request's access to the services, as the signed-in user (or anonymously, to sign in)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        urls: Mapping[str, str],
        token: str | None,
        calls: Calls | None = None,
        *,
        on_token_refused: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.http = http
        self.urls = urls
        self.token = token
        self.calls = calls if calls is not None else Calls()
        self.on_token_refused = on_token_refused

    def as_user(self, token: str | None, *, on_token_refused: Callable[[], Awaitable[None]] | None = None) -> Api:
        """The same client and count, acting with `token`; `on_token_refused` runs when a service refuses it."""
        return Api(self.http, self.urls, token, self.calls, on_token_refused=on_token_refused)

    async def get(self, service: str, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return await self.request("GET", service, path, params=params)

    async def post(self, service: str, path: str, body: Any = None, *, idempotency_key: str | None = None) -> Any:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return await self.request("POST", service, path, json=body, headers=headers)

    async def upload(
        self,
        service: str,
        path: str,
        field: str,
        filename: str,
        content: bytes,
        content_type: str | None = None,
        *,
        method: str = "POST",
    ) -> Any:
        """POST (or PUT) one file as `multipart/form-data` in `field`; the service's JSON answer (or its refusal)."""
        file = (filename, content, content_type or "application/octet-stream")
        return await self.request(method, service, path, files={field: file})

    @contextlib.asynccontextmanager
    async def download(
        self, service: str, path: str, headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[httpx.Response]:
        """A GET whose answer is bytes, not JSON: the open response (a 2xx or 304), to stream its body
        (`aiter_bytes`) to the browser; a 4xx is `Refused`, as for every call. Closed on leaving."""
        sent = {**tracing.outgoing_headers(), **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        started = time.perf_counter()
        try:
            resp = await self.http.send(
                self.http.build_request("GET", self.urls[service] + path, headers=sent), stream=True
            )
        except httpx.HTTPError as exc:
            raise Unavailable(service, type(exc).__name__) from exc
        finally:
            self.calls.count += 1
            self.calls.seconds += time.perf_counter() - started
            self.calls.paths.append(f"GET {service}{path}")
        try:
            if resp.status_code >= 500:
                raise Unavailable(service, f"HTTP {resp.status_code}")
            if resp.status_code >= 400:
                await resp.aread()
                refusal = _refusal(service, resp, with_token=self.token is not None)
                if isinstance(refusal, TokenRefused) and self.on_token_refused is not None:
                    await self.on_token_refused()
                raise refusal
            yield resp
        finally:
            await resp.aclose()

    async def request(
        self,
        method: str,
        service: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> Any:
        sent = {**tracing.outgoing_headers(), **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        query = {k: str(v) for k, v in (params or {}).items() if v is not None and v != ""}
        started = time.perf_counter()
        try:
            resp = await self.http.request(
                method,
                self.urls[service] + path,
                params=query or None,
                json=json,
                headers=sent,
                files=files,
            )
        except httpx.HTTPError as exc:
            raise Unavailable(service, type(exc).__name__) from exc
        finally:
            self.calls.count += 1
            self.calls.seconds += time.perf_counter() - started
            self.calls.paths.append(f"{method} {service}{path}")
        if resp.status_code >= 500:
            raise Unavailable(service, f"HTTP {resp.status_code}")
        if resp.status_code >= 400:
            refusal = _refusal(service, resp, with_token=self.token is not None)
            if isinstance(refusal, TokenRefused) and self.on_token_refused is not None:
                await self.on_token_refused()
            raise refusal
        if resp.status_code == 204 or not resp.content:
            return None
        try:
            return msgspec.json.decode(resp.content)
        except msgspec.DecodeError as exc:
            raise Unavailable(service, "an answer that is not JSON") from exc


def _refusal(service: str, resp: httpx.Response, *, with_token: bool) -> Refused:
    detail = ""
    errors: list[FieldProblem] = []
    type_ = "about:blank"
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        detail = str(body.get("detail") or body.get("title") or "")
        type_ = str(body.get("type") or type_)
        for item in body.get("errors") or []:
            if isinstance(item, dict) and "field" in item:
                errors.append(FieldProblem(str(item["field"]), str(item.get("message", ""))))
    if not detail:
        detail = resp.reason_phrase or f"HTTP {resp.status_code}"
    kind = TokenRefused if resp.status_code == 401 and with_token else Refused
    return kind(service, resp.status_code, detail, errors, type_=type_, retry_after=resp.headers.get("retry-after"))
