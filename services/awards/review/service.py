"""The committee's votes: cast on a submitted nomination only, each audited."""

from __future__ import annotations

import uuid

import asyncpg

from shared.auth import Principal
from shared.db import Queryable

from .. import publishes
from ..domain import lifecycle
from ..nominations import repository as nominations
from ..publishes import Change
from . import repository
from .schemas import Vote, VoteResult


async def cast_vote(
    conn: asyncpg.Connection, member: Principal, nomination_id: uuid.UUID, approve: bool, comment: str | None
) -> VoteResult:
    async with conn.transaction():
        lifecycle.check_vote(await repository.share_status(conn, nomination_id))
        vote, replaced = await repository.upsert_vote(conn, member, nomination_id, approve, comment)
        await publishes.audit(
            conn, member, [Change("vote", nomination_id, "replace_vote" if replaced else "vote", after=vote)]
        )
        tally = await repository.tally(conn, nomination_id)
    return VoteResult(vote=vote, replaced=replaced, tally=tally)


async def list_votes(db: Queryable, nomination_id: uuid.UUID) -> list[Vote]:
    await nominations.get_nomination(db, nomination_id)  # 404 for a nomination that does not exist
    return await repository.list_votes(db, nomination_id)
