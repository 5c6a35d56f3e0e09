"""Recognition ceremonies ("gặp mặt biểu dương", "lễ trao tặng"): created by the
committee for one or more campaigns, held on a date at a venue by a host unit."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Literal

import asyncpg
from litestar import get, post
from litestar.params import Parameter

from shared.auth import Principal, roles
from shared.pagination import Page, check_limit, decode_cursor, page
from shared.problems import FieldError, Problem
from shared.text import nfc

from .. import repository
from ..schemas import Ceremony, CeremonyCreate

VIETNAM = timezone(timedelta(hours=7))  # no daylight saving
COMMITTEE = roles("committee", "admin")


def today_in_vietnam() -> date:
    return datetime.now(VIETNAM).date()


@post("/ceremonies", guards=[COMMITTEE], tags=["ceremonies"], summary="Plan a ceremony for one or more campaigns")
async def create_ceremony(data: CeremonyCreate, principal: Principal, pool: asyncpg.Pool) -> Ceremony:
    title, venue = nfc(data.title), nfc(data.venue)
    for field, value in (("title", title), ("venue", venue)):
        if not value:
            raise Problem(400, f"{field}: must not be blank", errors=[FieldError(field, "must not be blank")])
    async with pool.acquire() as conn:
        return await repository.create_ceremony(
            conn,
            title=title,
            held_on=data.held_on,
            venue=venue,
            host_unit_id=data.host_unit_id,
            campaign_ids=data.campaign_ids,
            created_by=principal.account_id,
        )


@get("/ceremonies", tags=["ceremonies"], summary="Ceremonies, newest first, with their honourees' counts (public)")
async def list_ceremonies(
    pool: asyncpg.Pool,
    campaign_id: uuid.UUID | None = None,
    year: Annotated[int | None, Parameter(ge=1900, le=2100, description="held in this year")] = None,
    status: Literal["planned", "held"] | None = None,
    limit: Annotated[int | None, Parameter(description="1..200, default 50")] = None,
    cursor: str | None = None,
) -> Page[Ceremony]:
    size = check_limit(limit)
    after = decode_cursor(cursor, (date, uuid.UUID))
    rows = await repository.list_ceremonies(
        pool, campaign_id=campaign_id, year=year, status=status, after=after, limit=size + 1  # type: ignore[arg-type]
    )
    result = page(rows, size, key=lambda r: [r[1][0].isoformat(), str(r[1][1])])
    return Page(items=[c for c, _ in result.items], next_cursor=result.next_cursor)


@get("/ceremonies/{ceremony_id:uuid}", tags=["ceremonies"], summary="One ceremony with its honourees' counts (public)")
async def get_ceremony(ceremony_id: uuid.UUID, pool: asyncpg.Pool) -> Ceremony:
    return await repository.get_ceremony(pool, ceremony_id)


@post(
    "/ceremonies/{ceremony_id:uuid}/hold",
    guards=[COMMITTEE],
    tags=["ceremonies"],
    summary="Record that the ceremony took place: each honouree it presented carries it on the roll",
    status_code=200,
)
async def hold_ceremony(ceremony_id: uuid.UUID, pool: asyncpg.Pool) -> Ceremony:
    async with pool.acquire() as conn:
        return await repository.hold_ceremony(conn, ceremony_id, today_in_vietnam(), datetime.now(UTC))
