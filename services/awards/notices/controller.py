"""The public notice over HTTP: what is on notice and objecting to it (anyone), objections (committee, admin)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

import asyncpg
from litestar import Controller, Request, get, post
from litestar.params import Parameter

from shared.auth import Principal, Role, roles
from shared.pagination import Page, PageQuery
from shared.web import request_ip

from ..domain import notice
from . import repository, service
from .schemas import Notice, Objection, ObjectionCreate, ObjectionCreated, Objections, ResolveBody


class NoticeController(Controller):
    path = "/"
    tags = ["notices"]

    @get("/notices", summary="Approved nominations on public notice now (anyone)")
    async def list_notices(
        self,
        pool: asyncpg.Pool,
        paging: PageQuery,
        campaign_id: Annotated[uuid.UUID | None, Parameter(description="on notice in this campaign")] = None,
    ) -> Page[Notice]:
        """Each approved nomination of a category with `comment_working_days` > 0, from its approval through
        `window_ends_on` (a day in Vietnam), the soonest to end first. Never who objected."""
        rows = await repository.list_notices(
            pool,
            service.today(),
            campaign_id=campaign_id,
            after=paging.after((date, uuid.UUID)),
            limit=paging.limit,
        )
        return paging.page(rows, lambda n: [n.window_ends_on, str(n.nomination_id)])

    @post(
        "/notices/{nomination_id:uuid}/objections",
        status_code=201,
        summary="Object to a nomination on public notice (anyone; rate limited)",
    )
    async def object(
        self, nomination_id: uuid.UUID, data: ObjectionCreate, request: Request, conn: asyncpg.Connection
    ) -> ObjectionCreated:
        """201 `{id}` only. 404 for a nomination not on notice, 409 once its window ended, 429 (with
        Retry-After) past 5 an hour from one address or 100 an hour to one nomination. The name and contact
        are shown to the committee and admin only."""
        return await service.object_publicly(conn, nomination_id, data, request_ip(request))

    @get(
        "/nominations/{nomination_id:uuid}/objections",
        guards=[roles(Role.COMMITTEE, Role.ADMIN)],
        summary="A nomination's objections, with the objectors' names and contacts (committee, admin)",
    )
    async def list_objections(self, nomination_id: uuid.UUID, pool: asyncpg.Pool) -> Objections:
        row = await repository.notice_of(pool, nomination_id)
        return Objections(
            items=await repository.list_objections(pool, nomination_id),
            approved_on=row["approved_on"],
            comment_until=row["comment_until"],
            on_notice=row["status"] == "approved" and notice.on_notice(row["comment_until"], service.today()),
        )

    @post(
        "/objections/{objection_id:uuid}/resolve",
        status_code=200,
        guards=[roles(Role.COMMITTEE)],
        summary="Resolve an objection, saying how (committee)",
    )
    async def resolve(
        self, objection_id: uuid.UUID, data: ResolveBody, conn: asyncpg.Connection, principal: Principal
    ) -> Objection:
        return await service.resolve(conn, principal, objection_id, data)
