"""The committee's numbered decisions, which grant approved nominations as awards."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

import asyncpg
from litestar import get, post
from litestar.params import Parameter

from shared.auth import Principal, authenticated, roles
from shared.pagination import Page, check_limit, decode_cursor, page
from shared.problems import FieldError, Problem

from .. import repository
from ..schemas import Decision, DecisionCreate, DecisionSummary
from ._common import line


@post("/decisions", guards=[roles("committee")], tags=["decisions"],
      summary="Issue a numbered decision granting approved nominations (committee)")
async def create_decision(data: DecisionCreate, pool: asyncpg.Pool, principal: Principal) -> Decision:
    """Every listed nomination must be approved; each becomes a granted award whose `award_id` is the
    nomination's id. A nomination is granted by one decision only: listing a granted one is a 409, and so
    is a number already used. All or nothing."""
    seen: dict[uuid.UUID, int] = {}
    for i, nid in enumerate(data.nomination_ids):
        if nid in seen:
            raise Problem(400, f"nomination {nid} is listed twice",
                          errors=[FieldError(f"nomination_ids[{i}]", f"repeats nomination_ids[{seen[nid]}]")])
        seen[nid] = i
    async with pool.acquire() as conn:
        return await repository.create_decision(
            conn, principal, number=line(data.number, "number"), signed_on=data.signed_on,
            signer=line(data.signer, "signer"), nomination_ids=data.nomination_ids,
        )


@get("/decisions", guards=[authenticated], tags=["decisions"], summary="List decisions, newest first")
async def list_decisions(
    pool: asyncpg.Pool,
    campaign_id: Annotated[uuid.UUID | None, Parameter(description="decisions granting awards of this campaign")] = None,
    limit: Annotated[int | None, Parameter(description="1..200, default 50")] = None,
    cursor: str | None = None,
) -> Page[DecisionSummary]:
    size = check_limit(limit)
    after = decode_cursor(cursor, (date, uuid.UUID))
    rows = await repository.list_decisions(pool, campaign_id=campaign_id, after=after, limit=size)  # type: ignore[arg-type]
    return page(rows, size, key=lambda d: [d.signed_on, str(d.id)])


@get("/decisions/{decision_id:uuid}", guards=[authenticated], tags=["decisions"], summary="One decision with its awards")
async def get_decision(decision_id: uuid.UUID, pool: asyncpg.Pool) -> Decision:
    return await repository.get_decision(pool, decision_id)
