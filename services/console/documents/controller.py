"""The documents of the awards service, downloaded through the console (the browser never calls the awards
service): the decision with its annex, one certificate or all of a decision's, the council's minutes. The
awards service decides who may read each (403 and 404 pages else) and names the file.

Round trips: one, streamed as it comes.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

from litestar import Controller, Response, get
from litestar.response import Stream

from ..client import Api

# What a download passes on of the service's answer.
PASSED_HEADERS = ("content-type", "content-length", "content-disposition")


async def _stream(api: Api, path: str) -> Response[Any]:
    exits = contextlib.AsyncExitStack()
    resp = await exits.enter_async_context(api.download("awards", path))
    headers = {k: resp.headers[k] for k in PASSED_HEADERS if k in resp.headers}
    headers |= {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in resp.aiter_bytes():
                yield chunk
        finally:
            await exits.aclose()

    media_type = headers.pop("content-type", "application/pdf")
    return Stream(body(), media_type=media_type, headers=headers)


class DocumentDownloadController(Controller):
    path = "/"
    include_in_schema = False

    @get("/decisions/{decision_id:uuid}/document.pdf")
    async def decision(self, api: Api, decision_id: uuid.UUID) -> Response[Any]:
        return await _stream(api, f"/decisions/{decision_id}/document.pdf")

    @get("/decisions/{decision_id:uuid}/certificates.pdf")
    async def certificates(self, api: Api, decision_id: uuid.UUID) -> Response[Any]:
        return await _stream(api, f"/decisions/{decision_id}/certificates.pdf")

    @get("/awards/{award_id:uuid}/certificate.pdf")
    async def certificate(self, api: Api, award_id: uuid.UUID) -> Response[Any]:
        return await _stream(api, f"/awards/{award_id}/certificate.pdf")

    @get("/campaigns/{campaign_id:uuid}/minutes.pdf")
    async def minutes(self, api: Api, campaign_id: uuid.UUID) -> Response[Any]:
        return await _stream(api, f"/campaigns/{campaign_id}/minutes.pdf")
