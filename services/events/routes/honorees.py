"""The public honour roll as JSON, CSV and counts.

Every answer is cached in the process by (roll version, kind, raw query) and
carries an ETag of the same, so a repeated read costs neither a query nor a
render, and a client that has it gets a 304.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

import asyncpg
import msgspec
from litestar import Request, get
from litestar.params import Parameter
from litestar.response import Response, Stream

from shared.pagination import Page, encode_cursor
from shared.problems import FieldError, Problem

from .. import repository
from ..roll_cache import Answer, RollCache
from ..schemas import Honoree, Stats
from . import roll_query
from .roll_query import DESCRIPTIONS

JSON = "application/json"
CSV = "text/csv"  # Litestar and the fast path add "; charset=utf-8" to text types
CACHE_CONTROL = "public, no-cache"  # may be stored, but asked again each time: the roll changes within a second
_encoder = msgspec.json.Encoder()

Q = Annotated[str | None, Parameter(description=DESCRIPTIONS["q"])]


def respond(request: Request, answer: Answer) -> Response:
    headers = {"ETag": answer.etag, "Cache-Control": CACHE_CONTROL, **dict(answer.headers)}
    if answer.etag in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=304, headers=headers)
    return Response(answer.body, media_type=answer.media_type, headers=headers)


async def cached(
    request: Request, roll: RollCache, kind: str, render: Callable[[int], Awaitable[tuple[bytes, str, tuple[tuple[str, str], ...]]]]
) -> Response:
    """The cached answer of this query at the roll's current version, or a fresh one."""
    version = await roll.version()
    key = request.scope["query_string"]
    answer = roll.get(version, kind, key)
    if answer is None:
        body, media_type, headers = await render(version)
        answer = Answer(body=body, media_type=media_type, etag=roll.etag(version, kind, key), headers=headers)
        roll.put(version, kind, key, answer)
    return respond(request, answer)


@get(
    "/honorees",
    tags=["honour roll"],
    summary="The public honour roll: every granted, unrevoked award (public)",
    description="Sorted as a Vietnamese reader expects: collectives, then individuals by given name; "
    "letters in Vietnamese alphabetical order (d before đ), tones breaking ties."
)
async def list_honorees(
    request: Request,
    pool: asyncpg.Pool,
    roll: RollCache,
    campaign_id: Annotated[str | None, Parameter(description=DESCRIPTIONS["campaign_id"])] = None,
    year: Annotated[str | None, Parameter(description=DESCRIPTIONS["year"])] = None,
    unit_id: Annotated[str | None, Parameter(description=DESCRIPTIONS["unit_id"])] = None,
    kind: Annotated[str | None, Parameter(description=DESCRIPTIONS["kind"])] = None,
    category_id: Annotated[str | None, Parameter(description=DESCRIPTIONS["category_id"])] = None,
    ceremony_id: Annotated[str | None, Parameter(description=DESCRIPTIONS["ceremony_id"])] = None,
    q: Q = None,
    limit: Annotated[str | None, Parameter(description=DESCRIPTIONS["limit"])] = None,
    cursor: Annotated[str | None, Parameter(description=DESCRIPTIONS["cursor"])] = None,
) -> Response[Page[Honoree]]:
    async def render(_: int) -> tuple[bytes, str, tuple[tuple[str, str], ...]]:
        query = await roll_query.parse(request.query_params, pool)
        rows = await repository.list_honorees(pool, query.filter, query.after, query.limit + 1)
        page = page_of(rows, query.limit)
        return _encoder.encode(page), JSON, ()

    return await cached(request, roll, "json", render)


def page_of(rows: list[tuple[Honoree, repository.RollKey]], limit: int) -> Page[Honoree]:
    """Rows fetched with LIMIT limit+1: the extra row says whether a next page exists."""
    if len(rows) > limit:
        group, key, award_id = rows[limit - 1][1]
        return Page(items=[h for h, _ in rows[:limit]], next_cursor=encode_cursor([group, key, str(award_id)]))
    return Page(items=[h for h, _ in rows], next_cursor=None)


@get("/honorees/stats", tags=["honour roll"], summary="Counts of the roll by category and kind (public)")
async def honoree_stats(
    request: Request,
    pool: asyncpg.Pool,
    roll: RollCache,
    campaign_id: Annotated[str | None, Parameter(description=DESCRIPTIONS["campaign_id"])] = None,
    year: Annotated[str | None, Parameter(description=DESCRIPTIONS["year"])] = None,
    unit_id: Annotated[str | None, Parameter(description=DESCRIPTIONS["unit_id"])] = None,
    kind: Annotated[str | None, Parameter(description=DESCRIPTIONS["kind"])] = None,
    q: Q = None,
) -> Response[Stats]:
    async def render(_: int) -> tuple[bytes, str, tuple[tuple[str, str], ...]]:
        query = await roll_query.parse(request.query_params, pool, paged=False)
        counts = await repository.stats(pool, query.filter)
        return _encoder.encode(counts), JSON, ()

    return await cached(request, roll, "stats", render)


# ---------------------------------------------------------------- CSV
CSV_HEADER = (
    "STT", "Loại", "Họ và tên / Tên tập thể", "Đơn vị", "Phong trào thi đua", "Năm", "Danh hiệu",
    "Hình thức", "Số quyết định", "Ngày quyết định", "Lễ trao tặng", "Ngày trao tặng", "Mã khen thưởng",
)
KIND_LABELS = {"collective": "Tập thể", "individual": "Cá nhân"}
BOM = "\ufeff".encode()
SEPARATORS = {",": ",", "comma": ",", ";": ";", "semicolon": ";"}
CACHE_CSV_UP_TO = 4 * 1024 * 1024
FILENAME = "attachment; filename=\"bang-vang-thi-dua.csv\"; filename*=UTF-8''b%E1%BA%A3ng-v%C3%A0ng-thi-%C4%91ua.csv"


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell that Excel would run as a formula is shown as text instead.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _csv_rows(honorees: list[Honoree], start: int, sep: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\r\n")
    for n, h in enumerate(honorees, start=start):
        writer.writerow(
            [
                n, KIND_LABELS.get(h.kind, h.kind), _cell(h.name), _cell(h.unit_name), _cell(h.campaign.name),
                h.campaign.year, _cell(h.category.name), _cell(h.form), _cell(h.decision_number),
                h.decision_date.isoformat(), _cell(h.ceremony.title) if h.ceremony else "",
                h.ceremony.held_on.isoformat() if h.ceremony else "", h.award_id,
            ]
        )
    return out.getvalue().encode("utf-8")


@get(
    "/honorees.csv",
    tags=["honour roll"],
    summary="The roll as CSV for Excel: UTF-8 with BOM, one row per honouree (public)",
    description="The same filters as GET /honorees, without paging. `sep=;` gives semicolons, "
    "for an Excel whose regional settings use the comma as decimal separator (Vietnamese ones do)."
)
async def honorees_csv(
    request: Request,
    pool: asyncpg.Pool,
    roll: RollCache,
    campaign_id: Annotated[str | None, Parameter(description=DESCRIPTIONS["campaign_id"])] = None,
    year: Annotated[str | None, Parameter(description=DESCRIPTIONS["year"])] = None,
    unit_id: Annotated[str | None, Parameter(description=DESCRIPTIONS["unit_id"])] = None,
    kind: Annotated[str | None, Parameter(description=DESCRIPTIONS["kind"])] = None,
    category_id: Annotated[str | None, Parameter(description=DESCRIPTIONS["category_id"])] = None,
    ceremony_id: Annotated[str | None, Parameter(description=DESCRIPTIONS["ceremony_id"])] = None,
    q: Q = None,
    sep: Annotated[str | None, Parameter(description="the separator: , (default) or ;")] = None,
) -> Response:
    version = await roll.version()
    key = request.scope["query_string"]
    answer = roll.get(version, "csv", key)
    if answer is not None:
        return respond(request, answer)
    separator = SEPARATORS.get((sep or ",").strip())
    if separator is None:
        raise Problem(400, "sep: must be , or ;", errors=[FieldError("sep", "must be , or ;")])
    query = await roll_query.parse(request.query_params, pool, paged=False)
    etag = roll.etag(version, "csv", key)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Content-Disposition": FILENAME}
    if etag in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=304, headers=headers)

    async def body() -> AsyncIterator[bytes]:
        # Streamed batch by batch, so a whole province's roll never sits in memory;
        # kept for the next reader when it is small enough.
        kept: list[bytes] | None = []
        size = 0
        header = io.StringIO()
        csv.writer(header, delimiter=separator, lineterminator="\r\n").writerow(CSV_HEADER)
        chunk = BOM + header.getvalue().encode("utf-8")
        n = 1
        async for batch in repository.iter_honorees(pool, query.filter):
            chunk += _csv_rows(batch, n, separator)
            n += len(batch)
            size += len(chunk)
            if kept is not None:
                kept.append(chunk)
                if size > CACHE_CSV_UP_TO:
                    kept = None
            yield chunk
            chunk = b""
        if chunk:
            yield chunk
            if kept is not None:
                kept.append(chunk)
        if kept is not None:
            roll.put(version, "csv", key, Answer(b"".join(kept), CSV, etag, (("Content-Disposition", FILENAME),)))

    return Stream(body(), media_type=CSV, headers=headers)
