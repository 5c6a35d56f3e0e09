"""The committee's review over HTTP: votes on a submitted nomination, then its approval, rejection or return."""

from __future__ import annotations

import uuid

import asyncpg
from litestar import Controller, Response, get, post

from shared.auth import Principal, Role, roles
from shared.text import optional_paragraph, paragraph

from ..domain.lifecycle import Action
from ..nominations.schemas import Nomination
from ..nominations.service import transition
from ..schemas import ReasonBody
from . import service
from .schemas import Vote, VoteCreate, VoteResult

COMMITTEE = roles(Role.COMMITTEE)


class ReviewController(Controller):
    path = "/nominations/{nomination_id:uuid}"
    tags = ["review"]

    @post("/votes", guards=[COMMITTEE], summary="Cast a committee member's vote; a second vote replaces the first")
    async def cast_vote(
        self, nomination_id: uuid.UUID, data: VoteCreate, conn: asyncpg.Connection, principal: Principal
    ) -> Response[VoteResult]:
        """201 for a member's first vote on the nomination, 200 when it replaced an earlier one."""
        result = await service.cast_vote(
            conn, principal, nomination_id, data.approve, optional_paragraph(data.comment, "comment")
        )
        return Response(result, status_code=200 if result.replaced else 201)

    @get(
        "/votes",
        guards=[roles(Role.COMMITTEE, Role.ADMIN)],
        summary="The committee's votes on a nomination (committee, admin)",
    )
    async def list_votes(self, nomination_id: uuid.UUID, pool: asyncpg.Pool) -> list[Vote]:
        return await service.list_votes(pool, nomination_id)

    @post(
        "/approve",
        guards=[COMMITTEE],
        status_code=200,
        summary="Approve a submitted nomination (committee); never beyond the category's quota",
    )
    async def approve_nomination(
        self, nomination_id: uuid.UUID, conn: asyncpg.Connection, principal: Principal
    ) -> Nomination:
        """409 when the category's quota is full, also under concurrent approvals, or the nomination is not submitted."""
        return await transition(conn, principal, nomination_id, Action.APPROVE)

    @post(
        "/reject",
        guards=[COMMITTEE],
        status_code=200,
        summary="Reject a submitted or approved nomination, with a reason (committee)",
    )
    async def reject_nomination(
        self, nomination_id: uuid.UUID, data: ReasonBody, conn: asyncpg.Connection, principal: Principal
    ) -> Nomination:
        """Rejecting an approved nomination gives its place in the quota back."""
        return await transition(conn, principal, nomination_id, Action.REJECT, reason=paragraph(data.reason, "reason"))

    @post(
        "/return",
        guards=[COMMITTEE],
        status_code=200,
        summary="Return a submitted nomination to its unit to be completed, with a reason (committee)",
    )
    async def return_nomination(
        self, nomination_id: uuid.UUID, data: ReasonBody, conn: asyncpg.Connection, principal: Principal
    ) -> Nomination:
        """The unit's officer edits it and resubmits it; until then the committee does not vote on it."""
        return await transition(conn, principal, nomination_id, Action.RETURN, reason=paragraph(data.reason, "reason"))
