"""The committee's votes: cast on a submitted nomination only, each audited; under a council, by its members only."""

from __future__ import annotations

import uuid

import asyncpg

from shared.auth import Principal

from .. import publishes
from ..council import service as council
from ..domain import lifecycle
from ..publishes import Change
from . import repository
from .schemas import VoteResult


async def cast_vote(
    conn: asyncpg.Connection, member: Principal, nomination_id: uuid.UUID, approve: bool, comment: str | None
) -> VoteResult:
    """An open vote replaces the member's earlier one; a secret ballot is cast once (council/service.py)."""
    async with conn.transaction():
        lifecycle.check_vote(await repository.share_status(conn, nomination_id))
        ballot = await council.check_voter(conn, member, nomination_id)
        if ballot["secret_ballot"]:
            await council.cast_secret(conn, member, nomination_id, approve, comment)
            return VoteResult(vote=None, replaced=False, tally=await repository.tally(conn, nomination_id), secret=True)
        vote, replaced = await repository.upsert_vote(conn, member, nomination_id, approve, comment)
        await publishes.audit(
            conn, member, [Change("vote", nomination_id, "replace_vote" if replaced else "vote", after=vote)]
        )
        tally = await repository.tally(conn, nomination_id)
    return VoteResult(vote=vote, replaced=replaced, tally=tally)
