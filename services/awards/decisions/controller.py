"""The committee's numbered decisions over HTTP."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

import asyncpg
from litestar import Controller, get, post
from litestar.params import Parameter

from shared.auth import Principal, Role, authenticated, roles
from shared.pagination import Page, PageQuery

from . import repository, service
from .schemas import Decision, DecisionCreate, DecisionSummary


class DecisionController(Controller):
    path = "/decisions"
    tags = ["decisions"]

    @post(
        "/",
        guards=[roles(Role.COMMITTEE)],
        summary="Issue a numbered decision granting approved nominations (committee)",
    )
    async def create_decision(self, data: DecisionCreate, conn: asyncpg.Connection, principal: Principal) -> Decision:
        """Every listed nomination must be approved; each becomes a granted award whose `award_id` is the
        nomination's id. A nomination is granted by one decision only: listing a granted one is a 409, and so
        is a number already used. All or nothing."""
        return await service.create_decision(conn, principal, data)

    @get("/", guards=[authenticated], summary="List decisions, newest first")
    async def list_decisions(
        self,
        pool: asyncpg.Pool,
        paging: PageQuery,
        campaign_id: Annotated[
            uuid.UUID | None, Parameter(description="decisions granting awards of this campaign")
        ] = None,
    ) -> Page[DecisionSummary]:
        rows = await repository.list_decisions(
            pool, campaign_id=campaign_id, after=paging.after((date, uuid.UUID)), limit=paging.limit
        )
        return paging.page(rows, lambda d: [d.signed_on, str(d.id)])

    @get("/{decision_id:uuid}", guards=[authenticated], summary="One decision with its awards")
    async def get_decision(self, decision_id: uuid.UUID, pool: asyncpg.Pool) -> Decision:
        return await repository.get_decision(pool, decision_id)
