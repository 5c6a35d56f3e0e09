"""Campaigns ("phong trào thi đua") and their award categories over HTTP."""

from __future__ import annotations

import uuid
from typing import Annotated

import asyncpg
import msgspec
from litestar import Controller, get, patch, post
from litestar.params import Parameter

from shared.auth import Principal, Role, roles
from shared.errors import FieldError, Invalid
from shared.pagination import Page, PageQuery
from shared.text import contains_pattern, line, nfc, optional_paragraph

from ..domain.campaigns import check_dates
from ..domain.statuses import CampaignStatus
from . import repository, service
from .schemas import Campaign, CampaignCreate, CampaignPatch, Category, CategoryCreate, CategoryPatch

MANAGERS = roles(Role.ADMIN, Role.COMMITTEE)


class CampaignController(Controller):
    path = "/campaigns"
    tags = ["campaigns"]

    @post("/", guards=[MANAGERS], summary="Create a campaign (admin, committee)")
    async def create_campaign(self, data: CampaignCreate, conn: asyncpg.Connection, principal: Principal) -> Campaign:
        """A new campaign is `open`. Its dates may lie in the past: earlier years are entered the same way."""
        check_dates(data.starts_on, data.ends_on)
        data = msgspec.structs.replace(
            data,
            code=data.code.strip(),
            name=line(data.name, "name"),
            description=optional_paragraph(data.description, "description"),
        )
        return await service.create_campaign(conn, principal, data)

    @get("/", summary="List campaigns (public)")
    async def list_campaigns(
        self,
        pool: asyncpg.Pool,
        paging: PageQuery,
        year: Annotated[int | None, Parameter(ge=1945, le=2100)] = None,
        status: CampaignStatus | None = None,
        organizer_unit_id: uuid.UUID | None = None,
        q: Annotated[
            str | None, Parameter(max_length=200, description="name, ignoring case and diacritics; or exact code")
        ] = None,
    ) -> Page[Campaign]:
        """Newest year first, then by name; each with its categories."""
        rows = await repository.list_campaigns(
            pool,
            year=year,
            status=status,
            organizer_unit_id=organizer_unit_id,
            q=nfc(q) if q else None,
            pattern=contains_pattern(q) if q else None,
            after=paging.after((int, str, uuid.UUID)),
            limit=paging.limit,
        )
        return paging.page_keyed(rows, lambda c, sort_key: [c.year, sort_key, str(c.id)])

    @get("/{campaign_id:uuid}", summary="One campaign with its categories (public)")
    async def get_campaign(self, campaign_id: uuid.UUID, pool: asyncpg.Pool) -> Campaign:
        """Each category shows its quota, how many places approved or granted nominations hold, and what remains."""
        return await repository.get_campaign(pool, campaign_id)

    @patch(
        "/{campaign_id:uuid}",
        guards=[MANAGERS],
        summary="Change a campaign's name, dates or description (admin, committee)",
    )
    async def update_campaign(
        self, campaign_id: uuid.UUID, data: CampaignPatch, conn: asyncpg.Connection, principal: Principal
    ) -> Campaign:
        """Only what is sent changes; null clears a date or the description. 400 when it would end before it starts."""
        if all(v is msgspec.UNSET for v in (data.name, data.starts_on, data.ends_on, data.description)):
            raise Invalid(
                "send a new name, starts_on, ends_on or description", errors=[FieldError("body", "nothing to change")]
            )
        if data.name is not msgspec.UNSET:
            data = msgspec.structs.replace(data, name=line(data.name, "name"))
        if isinstance(data.description, str):
            data = msgspec.structs.replace(data, description=optional_paragraph(data.description, "description"))
        return await service.update_campaign(conn, principal, campaign_id, data)

    @post(
        "/{campaign_id:uuid}/close",
        guards=[MANAGERS],
        status_code=200,
        summary="Close a campaign to new nominations (admin, committee)",
    )
    async def close_campaign(self, campaign_id: uuid.UUID, conn: asyncpg.Connection, principal: Principal) -> Campaign:
        """Review, approval and decisions go on after the close. Closing a closed campaign changes nothing."""
        return await service.set_campaign_status(conn, principal, campaign_id, CampaignStatus.CLOSED)

    @post(
        "/{campaign_id:uuid}/open",
        guards=[MANAGERS],
        status_code=200,
        summary="Open a campaign again (admin, committee)",
    )
    async def open_campaign(self, campaign_id: uuid.UUID, conn: asyncpg.Connection, principal: Principal) -> Campaign:
        return await service.set_campaign_status(conn, principal, campaign_id, CampaignStatus.OPEN)

    @post(
        "/{campaign_id:uuid}/categories",
        guards=[MANAGERS],
        summary="Add an award category to a campaign (admin, committee)",
    )
    async def add_category(
        self, campaign_id: uuid.UUID, data: CategoryCreate, conn: asyncpg.Connection, principal: Principal
    ) -> Category:
        """`nominee_kind`: `collective` (a unit) or `individual` (a person); `form`: e.g. "Bằng khen", "Giấy khen".

        `pass_mark` (`{"at_least_percent": p}` or `{"more_than_percent": p}`, counted on the council's members
        entitled to vote), `secret_ballot` and `comment_working_days` say how the category is decided.
        """
        return await service.add_category(conn, principal, campaign_id, data)

    @patch(
        "/{campaign_id:uuid}/categories/{category_id:uuid}",
        guards=[MANAGERS],
        summary="Change any field of a category (admin, committee)",
    )
    async def update_category(
        self,
        campaign_id: uuid.UUID,
        category_id: uuid.UUID,
        data: CategoryPatch,
        conn: asyncpg.Connection,
        principal: Principal,
    ) -> Category:
        """Any field; the quota cannot fall below the places already held, and a category in use keeps its nominee
        kind and whether its ballot is secret (409)."""
        return await service.update_category(conn, principal, campaign_id, category_id, data)
