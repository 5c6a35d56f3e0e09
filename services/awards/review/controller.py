"""The committee's review over HTTP: votes on a submitted nomination, then its approval, rejection or return."""

from __future__ import annotations

import uuid

import asyncpg
from litestar import Controller, Response, get, post

from shared.auth import Principal, Role, roles
from shared.text import optional_paragraph, paragraph

from ..council import service as council
from ..council.schemas import MyVote, RecuseBody, Votes
from ..domain.lifecycle import Action
from ..nominations.schemas import Nomination
from ..nominations.service import readable, transition
from ..schemas import ReasonBody
from . import service
from .schemas import VoteCreate, VoteResult

COMMITTEE = roles(Role.COMMITTEE)
READERS = roles(Role.ADMIN, Role.COMMITTEE, Role.OFFICER)


class ReviewController(Controller):
    path = "/nominations/{nomination_id:uuid}"
    tags = ["review"]

    @post(
        "/votes",
        guards=[COMMITTEE],
        summary="Cast a committee member's vote (a council's member's, when the campaign has one); an open vote "
        "may be replaced, a secret ballot may not",
    )
    async def cast_vote(
        self, nomination_id: uuid.UUID, data: VoteCreate, conn: asyncpg.Connection, principal: Principal
    ) -> Response[VoteResult]:
        """201 for a member's first vote on the nomination, 200 when it replaced an earlier one; 403 outside the
        council or after a recusal; 409 for a second secret ballot."""
        result = await service.cast_vote(
            conn, principal, nomination_id, data.approve, optional_paragraph(data.comment, "comment")
        )
        return Response(result, status_code=200 if result.replaced else 201)

    @get(
        "/votes",
        guards=[READERS],
        summary="A nomination's tally: yes, no, members, recused, entitled; who voted what, unless the ballot is secret",
    )
    async def list_votes(self, nomination_id: uuid.UUID, pool: asyncpg.Pool, principal: Principal) -> Votes:
        """An officer only for a nomination it may read. In a secret ballot `votes` is absent."""
        await readable(pool, principal, nomination_id)
        return await council.tally(pool, nomination_id)

    @get("/votes/mine", guards=[READERS], summary="The caller's own vote on the nomination (404 before they voted)")
    async def my_vote(self, nomination_id: uuid.UUID, pool: asyncpg.Pool, principal: Principal) -> MyVote:
        """In a secret ballot: `{approve: null, comment: null, secret: true}` once cast."""
        await readable(pool, principal, nomination_id)
        return await council.my_vote(pool, principal, nomination_id)

    @post("/recuse", guards=[COMMITTEE], status_code=200, summary="A council member does not take part in the vote")
    async def recuse(
        self, nomination_id: uuid.UUID, data: RecuseBody, conn: asyncpg.Connection, principal: Principal
    ) -> Votes:
        """Before voting on it (409 after, or without a council); the member's vote is then refused (403)."""
        return await council.recuse(conn, principal, nomination_id, data.reason)

    @post(
        "/approve",
        guards=[COMMITTEE],
        status_code=200,
        summary="Approve a submitted nomination (committee); never beyond the category's quota",
    )
    async def approve_nomination(
        self, nomination_id: uuid.UUID, conn: asyncpg.Connection, principal: Principal
    ) -> Nomination:
        """409 when the category's quota is full, also under concurrent approvals, or the nomination is not submitted;
        409 below the category's pass mark, or with a pass mark and no council (the detail gives the tally)."""
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
