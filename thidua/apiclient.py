"""A small async client of the three services' HTTP APIs, as any outside program uses them.

Used by the scenario loader (`thidua.demo`) and the office verbs of the
command line (`thidua.office`): tokens from `POST /auth/token`, keyset paging,
`Idempotency-Key` on creates (so a retried request never creates twice), a
bounded number of requests in flight, and the services' problem documents
turned into one exception with the detail a person can act on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, TypeVar

import httpx

from shared.batches import not_known_yet

DEFAULT_URLS = {
    "units": "http://127.0.0.1:8101",
    "awards": "http://127.0.0.1:8102",
    "events": "http://127.0.0.1:8103",
}
T = TypeVar("T")
# Answers worth one more try: the service is restarting or shedding load.
RETRY_STATUSES = {429, 502, 503, 504}


class ApiError(Exception):
    """A service answered with an error (a problem document) or could not be reached."""

    def __init__(self, method: str, url: str, status: int, body: Any) -> None:
        self.method = method
        self.url = url
        self.status = status
        self.body = body
        super().__init__(f"{method} {url} -> {status}: {self.detail}")

    @property
    def detail(self) -> str:
        if isinstance(self.body, dict):
            text = str(self.body.get("detail") or self.body.get("title") or self.body)
            errors = self.body.get("errors") or []
            if errors:
                text += " (" + "; ".join(f"{e.get('field')}: {e.get('message')}" for e in errors[:10]) + ")"
            return text
        return str(self.body)[:500]


class Client:
    """One HTTP connection pool to all three services, shared by every account's calls."""

    def __init__(self, urls: dict[str, str] | None = None, *, concurrency: int = 16, timeout: float = 60.0) -> None:
        self.urls = {**DEFAULT_URLS, **(urls or {})}
        self.http = httpx.AsyncClient(
            timeout=timeout,
            limits=httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency * 2),
        )
        self.gate = asyncio.Semaphore(concurrency)
        self.posts_created = 0  # 201 answers that were not replays: things this client created

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    def url(self, service: str, path: str) -> str:
        return self.urls[service].rstrip("/") + path

    async def request(
        self,
        method: str,
        service: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        idempotency_key: str | None = None,
        ok: Iterable[int] = (200, 201),
        raw: bool = False,
    ) -> Any:
        hdrs = dict(headers or {})
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        if idempotency_key:
            hdrs["Idempotency-Key"] = idempotency_key
        url = self.url(service, path)
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        for attempt in range(6):
            try:
                async with self.gate:
                    resp = await self.http.request(method, url, json=json, params=clean, content=content, headers=hdrs)
            except httpx.TransportError as exc:
                if attempt == 5:
                    raise ApiError(method, url, 0, f"cannot reach the {service} service: {exc}") from exc
                await asyncio.sleep(0.2 * 2**attempt)
                continue
            if resp.status_code in RETRY_STATUSES and attempt < 5:
                retry_after = resp.headers.get("retry-after", "")
                await asyncio.sleep(float(retry_after) if retry_after.isdigit() else 0.2 * 2**attempt)
                continue
            break
        if resp.status_code not in set(ok):
            try:
                body: Any = resp.json()
            except ValueError:
                body = resp.text
            raise ApiError(method, url, resp.status_code, body)
        if resp.status_code == 201 and resp.headers.get("idempotent-replayed") != "true":
            self.posts_created += 1
        if raw:
            return resp
        return resp.json() if resp.content else None

    async def get(self, service: str, path: str, **kw: Any) -> Any:
        return await self.request("GET", service, path, **kw)

    async def post(self, service: str, path: str, **kw: Any) -> Any:
        return await self.request("POST", service, path, **kw)

    async def pages(
        self,
        service: str,
        path: str,
        *,
        token: str | None = None,
        params: dict[str, Any] | None = None,
        limit: int = 200,
    ) -> AsyncIterator[dict[str, Any]]:
        """Every item of a keyset-paged list."""
        cursor: str | None = None
        while True:
            page = await self.get(
                service, path, token=token, params={**(params or {}), "limit": limit, "cursor": cursor}
            )
            for item in page["items"]:
                yield item
            cursor = page.get("next_cursor")
            if not cursor:
                return

    async def all(self, service: str, path: str, **kw: Any) -> list[dict[str, Any]]:
        return [item async for item in self.pages(service, path, **kw)]

    async def login(self, username: str, password: str) -> str:
        answer = await self.post("units", "/auth/token", json={"username": username, "password": password}, ok=(200,))
        return answer["access_token"]

    async def unit_by_code(self, code: str) -> dict[str, Any] | None:
        """The unit with this exact code, if there is one (GET /units?q= matches codes exactly)."""
        page = await self.get("units", "/units", params={"q": code, "limit": 200})
        return next((u for u in page["items"] if u["code"].lower() == code.lower()), None)


def propagating(exc: ApiError) -> bool:
    """Does this refusal mean "not here yet" rather than "no"?

    A unit or person created in `units` reaches the awards service's copy over
    NATS a moment later; until then a nomination of it is refused with 404
    (unknown nominee) or 409 (its unit not known yet). A 403 is not retried:
    the copy applies a subtree's events in order, so it means "outside your unit".
    """
    return not_known_yet(exc.status, {"detail": exc.detail})


async def until_known(
    call: Callable[[], Awaitable[T]], timeout: float = 30.0, retry: Callable[[ApiError], bool] = propagating
) -> T:
    """Retry `call` while a service has not yet learnt of something just created elsewhere (see `propagating`)."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        try:
            return await call()
        except ApiError as exc:
            if not retry(exc) or time.monotonic() > deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 1.0)
