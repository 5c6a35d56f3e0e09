"""A file a service serves, passed on to the browser through the console (the browser never calls the
services): streamed as it comes, with its type, length, name and ETag; a 304 passed on as it is; a 4xx
of the service becomes its page (`Refused`, as for every call). One round trip."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from litestar import Request, Response
from litestar.response import Stream

from .client import Api

# What a download passes on of the service's answer.
PASSED_HEADERS = ("content-type", "content-length", "content-disposition", "etag")


async def passed_on(api: Api, service: str, path: str, request: Request[Any, Any, Any] | None = None) -> Response[Any]:
    """`GET service path` with the user's token, streamed to the browser; `request`'s If-None-Match goes along."""
    asked = None
    if request is not None and "if-none-match" in request.headers:
        asked = {"If-None-Match": request.headers["if-none-match"]}
    exits = contextlib.AsyncExitStack()
    resp = await exits.enter_async_context(api.download(service, path, asked))
    headers = {k: resp.headers[k] for k in PASSED_HEADERS if k in resp.headers}
    headers |= {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
    if resp.status_code == 304:
        await exits.aclose()
        return Response(b"", status_code=304, headers={"ETag": headers.get("etag", "")})

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in resp.aiter_bytes():
                yield chunk
        finally:
            await exits.aclose()

    media_type = headers.pop("content-type", "application/octet-stream")
    return Stream(body(), media_type=media_type, headers=headers)
