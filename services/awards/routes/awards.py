"""Awards: the nominations a decision granted. `award_id` is the granted nomination's id."""

from __future__ import annotations

import uuid
from typing import Annotated

import asyncpg
from litestar import get, post
from litestar.params import Parameter

from shared.auth import Principal, roles
from shared.pagination import Page, check_limit, decode_cursor, page
from shared.text import nfc

from .. import repository
from ..schemas import Award, NomineeKind, ReasonBody
from ._common import text


@get("/awards", tags=["awards"], summary="Granted awards, revoked ones left out (public)")
async def list_awards(
    pool: asyncpg.Pool,
    campaign_id: uuid.UUID | None = None,
    category_id: uuid.UUID | None = None,
    year: Annotated[int | None, Parameter(ge=1945, le=2100)] = None,
    kind: NomineeKind | None = None,
    unit_id: Annotated[uuid.UUID | None, Parameter(description="this unit and every unit below it")] = None,
    decision_id: uuid.UUID | None = None,
    q: Annotated[str | None, Parameter(max_length=200, description="honouree's name, ignoring case and diacritics")] = None,
    limit: Annotated[int | None, Parameter(description="1..200, default 50")] = None,
    cursor: str | None = None,
) -> Page[Award]:
    """By the honouree's name, as a Vietnamese reader expects."""
    size = check_limit(limit)
    after = decode_cursor(cursor, (str, uuid.UUID))
    rows = await repository.list_awards(
        pool, campaign_id=campaign_id, category_id=category_id, year=year, kind=kind, unit_id=unit_id,
        decision_id=decision_id, q=nfc(q) if q else None, after=after, limit=size,  # type: ignore[arg-type]
    )
    result = page(rows, size, key=lambda r: [r[1], str(r[0].award_id)])
    return Page(items=[a for a, _ in result.items], next_cursor=result.next_cursor)


@get("/awards/{award_id:uuid}", tags=["awards"], summary="One award (public; a revoked one only for committee and admin)")
async def get_award(award_id: uuid.UUID, pool: asyncpg.Pool, caller: Principal | None) -> Award:
    include_revoked = caller is not None and caller.role in ("committee", "admin")
    return await repository.get_award(pool, award_id, include_revoked=include_revoked)


@post("/awards/{award_id:uuid}/revoke", guards=[roles("committee")], tags=["awards"], status_code=200,
      summary="Revoke a granted award, with a reason (committee)")
async def revoke_award(award_id: uuid.UUID, data: ReasonBody, pool: asyncpg.Pool, principal: Principal) -> Award:
    """The award leaves every public listing; its place in the category's quota is given back.
    Revoking a revoked award is a 409."""
    reason = text(data.reason, "reason")
    async with pool.acquire() as conn:
        return await repository.revoke_award(conn, principal, award_id, reason)
