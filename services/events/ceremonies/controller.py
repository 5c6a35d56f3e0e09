"""Recognition ceremonies ("gặp mặt biểu dương", "lễ trao tặng"): created by the
committee for one or more campaigns, held on a date at a venue by a host unit."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated

import asyncpg
from litestar import Controller, get, post
from litestar.params import Parameter

from shared.auth import Principal, Role, roles
from shared.pagination import Page, PageQuery

from ..domain import CeremonyStatus
from . import repository, service
from .schemas import Ceremony, CeremonyCreate

COMMITTEE = roles(Role.COMMITTEE, Role.ADMIN)


class CeremonyController(Controller):
    path = "/ceremonies"
    tags = ["ceremonies"]

    @post("/", guards=[COMMITTEE], summary="Plan a ceremony for one or more campaigns")
    async def create_ceremony(self, data: CeremonyCreate, principal: Principal, conn: asyncpg.Connection) -> Ceremony:
        return await service.create(conn, data, principal.account_id)

    @get("/", summary="Ceremonies, newest first, with their honourees' counts (public)")
    async def list_ceremonies(
        self,
        pool: asyncpg.Pool,
        paging: PageQuery,
        campaign_id: uuid.UUID | None = None,
        year: Annotated[int | None, Parameter(ge=1900, le=2100, description="held in this year")] = None,
        status: CeremonyStatus | None = None,
    ) -> Page[Ceremony]:
        rows = await repository.list_ceremonies(
            pool,
            campaign_id=campaign_id,
            year=year,
            status=status,
            after=paging.after((date, uuid.UUID)),
            limit=paging.limit + 1,
        )
        return paging.page_keyed(rows, lambda _, key: [key[0].isoformat(), str(key[1])])

    @get("/{ceremony_id:uuid}", summary="One ceremony with its honourees' counts (public)")
    async def get_ceremony(self, ceremony_id: uuid.UUID, pool: asyncpg.Pool) -> Ceremony:
        return await repository.get(pool, ceremony_id)

    @post(
        "/{ceremony_id:uuid}/hold",
        guards=[COMMITTEE],
        summary="Record that the ceremony took place: each honouree it presented carries it on the roll",
        status_code=200,
    )
    async def hold_ceremony(self, ceremony_id: uuid.UUID, conn: asyncpg.Connection) -> Ceremony:
        return await service.hold(conn, ceremony_id, datetime.now(UTC))
