"""Emulation campaigns ("phong trào thi đua") and their award categories."""

from __future__ import annotations

import uuid
from typing import Annotated

import asyncpg
import msgspec
from litestar import get, patch, post
from litestar.params import Parameter

from shared.auth import Principal, roles
from shared.pagination import Page, check_limit, decode_cursor, page
from shared.problems import FieldError, Problem
from shared.text import nfc

from .. import repository
from ..schemas import Campaign, CampaignCreate, CampaignStatus, Category, CategoryCreate, CategoryPatch
from ._common import line, optional_text

MANAGERS = roles("admin", "committee")


@post("/campaigns", guards=[MANAGERS], tags=["campaigns"], summary="Create a campaign (admin, committee)")
async def create_campaign(data: CampaignCreate, pool: asyncpg.Pool, principal: Principal) -> Campaign:
    """A new campaign is `open`. Its dates may lie in the past: earlier years are entered the same way."""
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise Problem(400, "ends_on must not come before starts_on", errors=[FieldError("ends_on", "before starts_on")])
    data = msgspec.structs.replace(
        data, code=data.code.strip(), name=line(data.name, "name"), description=optional_text(data.description, "description")
    )
    async with pool.acquire() as conn:
        return await repository.create_campaign(conn, principal, data)


@get("/campaigns", tags=["campaigns"], summary="List campaigns (public)")
async def list_campaigns(
    pool: asyncpg.Pool,
    year: Annotated[int | None, Parameter(ge=1945, le=2100)] = None,
    status: CampaignStatus | None = None,
    organizer_unit_id: uuid.UUID | None = None,
    q: Annotated[str | None, Parameter(max_length=200, description="name, ignoring case and diacritics; or exact code")] = None,
    limit: Annotated[int | None, Parameter(description="1..200, default 50")] = None,
    cursor: str | None = None,
) -> Page[Campaign]:
    """Newest year first, then by name; each with its categories."""
    size = check_limit(limit)
    after = decode_cursor(cursor, (int, str, uuid.UUID))
    rows = await repository.list_campaigns(
        pool, year=year, status=status, organizer_unit_id=organizer_unit_id, q=nfc(q) if q else None,
        after=after, limit=size,  # type: ignore[arg-type]
    )
    result = page(rows, size, key=lambda r: [r[0].year, r[1], str(r[0].id)])
    return Page(items=[c for c, _ in result.items], next_cursor=result.next_cursor)


@get("/campaigns/{campaign_id:uuid}", tags=["campaigns"], summary="One campaign with its categories (public)")
async def get_campaign(campaign_id: uuid.UUID, pool: asyncpg.Pool) -> Campaign:
    """Each category shows its quota, how many places approved or granted nominations hold, and what remains."""
    return await repository.get_campaign(pool, campaign_id)


@post("/campaigns/{campaign_id:uuid}/close", guards=[MANAGERS], tags=["campaigns"], status_code=200,
      summary="Close a campaign to new nominations (admin, committee)")
async def close_campaign(campaign_id: uuid.UUID, pool: asyncpg.Pool, principal: Principal) -> Campaign:
    """Review, approval and decisions go on after the close. Closing a closed campaign changes nothing."""
    async with pool.acquire() as conn:
        return await repository.set_campaign_status(conn, principal, campaign_id, "closed")


@post("/campaigns/{campaign_id:uuid}/open", guards=[MANAGERS], tags=["campaigns"], status_code=200,
      summary="Open a campaign again (admin, committee)")
async def open_campaign(campaign_id: uuid.UUID, pool: asyncpg.Pool, principal: Principal) -> Campaign:
    async with pool.acquire() as conn:
        return await repository.set_campaign_status(conn, principal, campaign_id, "open")


@post("/campaigns/{campaign_id:uuid}/categories", guards=[MANAGERS], tags=["campaigns"],
      summary="Add an award category to a campaign (admin, committee)")
async def add_category(campaign_id: uuid.UUID, data: CategoryCreate, pool: asyncpg.Pool, principal: Principal) -> Category:
    """`nominee_kind`: `collective` (a unit) or `individual` (a person); `form`: e.g. "Bằng khen", "Giấy khen"."""
    data = msgspec.structs.replace(data, code=data.code.strip(), name=line(data.name, "name"), form=line(data.form, "form"))
    async with pool.acquire() as conn:
        return await repository.add_category(conn, principal, campaign_id, data)


@patch("/campaigns/{campaign_id:uuid}/categories/{category_id:uuid}", guards=[MANAGERS], tags=["campaigns"],
       summary="Rename a category, change its form or quota (admin, committee)")
async def update_category(
    campaign_id: uuid.UUID, category_id: uuid.UUID, data: CategoryPatch, pool: asyncpg.Pool, principal: Principal
) -> Category:
    """The quota cannot fall below the places already held (409)."""
    if data.name is msgspec.UNSET and data.form is msgspec.UNSET and data.quota is msgspec.UNSET:
        raise Problem(400, "send a new name, form or quota", errors=[FieldError("body", "nothing to change")])
    async with pool.acquire() as conn:
        return await repository.update_category(
            conn, principal, campaign_id, category_id,
            name=line(data.name, "name") if data.name is not msgspec.UNSET else None,
            form=line(data.form, "form") if data.form is not msgspec.UNSET else None,
            quota=data.quota if data.quota is not msgspec.UNSET else None,
        )
