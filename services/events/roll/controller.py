"""The public honour roll over HTTP: the web page, and the roll as JSON, counts and CSV.

Every answer is cached in the process by (roll version, kind, raw query) and
carries an ETag of the same (cache.py), so a repeated read costs neither a
query nor a render, and a client that has it gets a 304. Most repeated reads
never reach these handlers: the fast path (fast_path.py) answers them first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Annotated

import asyncpg
import msgspec
from litestar import Controller, Request, get
from litestar.di import Provide
from litestar.params import Parameter
from litestar.response import Response, Stream

from shared.pagination import Page

from . import export, page, queries
from .cache import Answer, Rendered, RollCache, conditional, provide_roll
from .params import RollPaging, RollParams, provide_filters, provide_paging, resolve
from .schemas import Honoree, Stats

JSON = "application/json"
CACHE_CSV_UP_TO = 4 * 1024 * 1024
_encoder = msgspec.json.Encoder()


def respond(
    request: Request,
    etag: str,
    headers: Iterable[tuple[str, str]],
    content: bytes | AsyncIterator[bytes],
    media_type: str,
) -> Response:
    """The answer, or a 304 when the client already has it."""
    status, named = conditional(etag, request.headers.get("if-none-match"), headers)
    if status == 304:
        return Response(b"", status_code=304, headers=dict(named))
    if isinstance(content, bytes):
        return Response(content, media_type=media_type, headers=dict(named))
    return Stream(content, media_type=media_type, headers=dict(named))


def answered(request: Request, answer: Answer) -> Response:
    return respond(request, answer.etag, answer.headers, answer.body, answer.media_type)


async def honorees_json(pool: asyncpg.Pool, filters: RollParams, roll_page: RollPaging) -> Rendered:
    """A page of `GET /honorees`, as the handler and the fast path (fast_path.py) render it."""
    query = await resolve(pool, filters, roll_page)
    rows = await queries.list_honorees(pool, query.filter, query.after, query.limit + 1)
    return _encoder.encode(query.page(rows)), JSON, ()


def _key(request: Request) -> bytes:
    """What an answer is cached by: the raw query string, as the fast path sees it."""
    return request.scope["query_string"]


class RollController(Controller):
    path = "/"
    tags = ["honour roll"]
    dependencies = {
        "roll": Provide(provide_roll, sync_to_thread=False),
        "filters": Provide(provide_filters, sync_to_thread=False),
        "roll_page": Provide(provide_paging, sync_to_thread=False),
    }

    @get("/", summary="The honour-roll web page (public)", include_in_schema=True)
    async def roll_page(
        self, request: Request, pool: asyncpg.Pool, roll: RollCache, filters: RollParams, roll_page: RollPaging
    ) -> Response:
        engine = request.app.template_engine
        assert engine is not None  # the service's spec names its template directory

        async def render() -> Rendered:
            return await page.render(engine.get_template("roll.html"), pool, filters, roll_page), page.HTML, ()

        try:
            return answered(request, await roll.answer("html", _key(request), render))
        except page.PageProblem as failed:
            # A person at a browser gets the page with the problem explained, and its 4xx status.
            return Response(failed.body, status_code=failed.problem.status, media_type=page.HTML)

    @get(
        "/honorees",
        summary="The public honour roll: every granted, unrevoked award (public)",
        description="Sorted as a Vietnamese reader expects: collectives, then individuals by given name; "
        "letters in Vietnamese alphabetical order (d before đ), tones breaking ties.",
    )
    async def list_honorees(
        self, request: Request, pool: asyncpg.Pool, roll: RollCache, filters: RollParams, roll_page: RollPaging
    ) -> Response[Page[Honoree]]:
        return answered(
            request, await roll.answer("json", _key(request), lambda: honorees_json(pool, filters, roll_page))
        )

    @get("/honorees/stats", summary="Counts of the roll by category and kind (public)")
    async def honoree_stats(
        self, request: Request, pool: asyncpg.Pool, roll: RollCache, filters: RollParams
    ) -> Response[Stats]:
        async def render() -> Rendered:
            query = await resolve(pool, filters)
            return _encoder.encode(await queries.stats(pool, query.filter)), JSON, ()

        return answered(request, await roll.answer("stats", _key(request), render))

    @get(
        "/honorees.csv",
        summary="The roll as CSV for Excel: UTF-8 with BOM, one row per honouree (public)",
        description="The same filters as GET /honorees, without paging. `sep=;` gives semicolons, "
        "for an Excel whose regional settings use the comma as decimal separator (Vietnamese ones do).",
    )
    async def honorees_csv(
        self,
        request: Request,
        pool: asyncpg.Pool,
        roll: RollCache,
        filters: RollParams,
        sep: Annotated[str | None, Parameter(description="the separator: , (default) or ;")] = None,
    ) -> Response:
        version = await roll.version()
        key = _key(request)
        answer = roll.get(version, "csv", key)
        if answer is not None:
            return answered(request, answer)
        separator = export.separator(sep)
        query = await resolve(pool, filters)
        etag = roll.etag(version, "csv", key)
        headers = (("Content-Disposition", export.FILENAME),)

        async def body() -> AsyncIterator[bytes]:
            # Streamed batch by batch; kept for the next reader when it is small enough.
            kept: list[bytes] | None = []
            size = 0
            async for chunk in export.chunks(queries.iter_honorees(pool, query.filter), separator):
                size += len(chunk)
                if kept is not None:
                    kept.append(chunk)
                    if size > CACHE_CSV_UP_TO:
                        kept = None
                yield chunk
            if kept is not None:
                roll.put(version, "csv", key, Answer(b"".join(kept), export.CSV, etag, headers))

        return respond(request, etag, headers, body(), export.CSV)
