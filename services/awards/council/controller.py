"""The council over HTTP: set and read a campaign's council, its candidates, and the ballot's record."""

from __future__ import annotations

import uuid

import asyncpg
from litestar import Controller, get, put

from shared.auth import Principal, Role, roles

from . import service
from .schemas import Ballot, Candidates, Council, CouncilPut

STAFF = roles(Role.ADMIN, Role.COMMITTEE)


class CouncilController(Controller):
    path = "/"
    tags = ["council"]

    @put(
        "/campaigns/{campaign_id:uuid}/council",
        guards=[STAFF],
        status_code=200,
        summary="Set the campaign's council: the committee accounts that vote on its nominations (empty: none)",
    )
    async def set_council(
        self, campaign_id: uuid.UUID, data: CouncilPut, conn: asyncpg.Connection, principal: Principal
    ) -> Council:
        """400 naming an id that is not a known, enabled committee account, or named twice; 409 once votes were cast."""
        return await service.set_council(conn, principal, campaign_id, data.member_account_ids)

    @get("/campaigns/{campaign_id:uuid}/council", guards=[STAFF], summary="The campaign's council (committee, admin)")
    async def get_council(self, campaign_id: uuid.UUID, pool: asyncpg.Pool) -> Council:
        return await service.get_council(pool, campaign_id)

    @get("/council/candidates", guards=[STAFF], summary="The committee accounts a council may be made of")
    async def candidates(self, pool: asyncpg.Pool) -> Candidates:
        return await service.candidates(pool)

    @get(
        "/campaigns/{campaign_id:uuid}/ballot",
        guards=[STAFF],
        summary="The ballot's record: the council, and each voted nomination's count (no secret vote's member)",
    )
    async def ballot(self, campaign_id: uuid.UUID, pool: asyncpg.Pool) -> Ballot:
        return await service.ballot(pool, campaign_id)
