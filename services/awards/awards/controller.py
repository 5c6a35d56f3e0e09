"""Awards over HTTP: the nominations a decision granted, listed publicly, revoked by the committee."""

from __future__ import annotations

import uuid
from typing import Annotated

import asyncpg
from litestar import Controller, get, post
from litestar.params import Parameter

from shared.auth import Principal, Role, roles
from shared.pagination import Page, PageQuery
from shared.text import contains_pattern, paragraph

from ..domain.statuses import NomineeKind
from ..schemas import ReasonBody
from . import repository, service
from .schemas import Award, StaffAward


class AwardController(Controller):
    path = "/awards"
    tags = ["awards"]

    @get("/", summary="Granted awards, revoked ones left out (public)")
    async def list_awards(
        self,
        pool: asyncpg.Pool,
        paging: PageQuery,
        campaign_id: uuid.UUID | None = None,
        category_id: uuid.UUID | None = None,
        year: Annotated[int | None, Parameter(ge=1945, le=2100)] = None,
        kind: NomineeKind | None = None,
        unit_id: Annotated[uuid.UUID | None, Parameter(description="this unit and every unit below it")] = None,
        decision_id: uuid.UUID | None = None,
        q: Annotated[
            str | None, Parameter(max_length=200, description="honouree's name, ignoring case and diacritics")
        ] = None,
    ) -> Page[Award]:
        """By the honouree's name, as a Vietnamese reader expects."""
        rows = await repository.list_awards(
            pool,
            campaign_id=campaign_id,
            category_id=category_id,
            year=year,
            kind=kind,
            unit_id=unit_id,
            decision_id=decision_id,
            pattern=contains_pattern(q) if q else None,
            after=paging.after((str, uuid.UUID)),
            limit=paging.limit,
        )
        return paging.page_keyed(rows, lambda a, sort_key: [sort_key, str(a.award_id)])

    @get("/{award_id:uuid}", summary="One award (public; a revoked one only for committee and admin)")
    async def get_award(self, award_id: uuid.UUID, pool: asyncpg.Pool, caller: Principal | None) -> StaffAward | Award:
        """Committee and admin also read its `verification_code` (printed on the certificate); nobody else."""
        return await service.get_award(pool, award_id, caller)

    @post(
        "/{award_id:uuid}/revoke",
        guards=[roles(Role.COMMITTEE)],
        status_code=200,
        summary="Revoke a granted award, with a reason (committee)",
    )
    async def revoke_award(
        self, award_id: uuid.UUID, data: ReasonBody, conn: asyncpg.Connection, principal: Principal
    ) -> Award:
        """The award leaves every public listing; its place in the category's quota is given back.
        Revoking a revoked award is a 409."""
        return await service.revoke_award(conn, principal, award_id, paragraph(data.reason, "reason"))
