"""The SQL of the committee's votes: one per member and nomination, a second replacing the first."""

from __future__ import annotations

import uuid

import asyncpg

from shared.auth import Principal
from shared.db import Queryable
from shared.errors import NotFound

from ..nominations.schemas import Tally
from .schemas import Vote

VOTE_COLUMNS = "nomination_id, member_id, member_name, approve, comment, cast_at"


async def share_status(conn: asyncpg.Connection, nomination_id: uuid.UUID) -> str:
    """The nomination's status, share-locked: it cannot move on while the vote is written."""
    status = await conn.fetchval("SELECT status FROM nominations WHERE id = $1 FOR SHARE", nomination_id)
    if status is None:
        raise NotFound("nomination", nomination_id)
    return str(status)


async def upsert_vote(
    conn: asyncpg.Connection, member: Principal, nomination_id: uuid.UUID, approve: bool, comment: str | None
) -> tuple[Vote, bool]:
    """The member's vote as written, and whether it replaced an earlier one of theirs."""
    row = await conn.fetchrow(
        f"""INSERT INTO votes (nomination_id, member_id, member_name, approve, comment) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (nomination_id, member_id) DO UPDATE
                SET member_name = EXCLUDED.member_name, approve = EXCLUDED.approve,
                    comment = EXCLUDED.comment, cast_at = now()
            RETURNING {VOTE_COLUMNS}, (xmax <> 0) AS replaced""",
        nomination_id,
        member.account_id,
        member.username,
        approve,
        comment,
    )
    return Vote(**{k: v for k, v in dict(row).items() if k != "replaced"}), row["replaced"]


async def tally(db: Queryable, nomination_id: uuid.UUID) -> Tally:
    """Open votes and the secret ballot box's counts together (a category's ballot is one or the other)."""
    row = await db.fetchrow(
        """SELECT (SELECT count(*) FROM votes WHERE nomination_id = $1 AND approve)
                  + COALESCE((SELECT yes FROM secret_ballot_box WHERE nomination_id = $1), 0) AS approve,
                  (SELECT count(*) FROM votes WHERE nomination_id = $1 AND NOT approve)
                  + COALESCE((SELECT no FROM secret_ballot_box WHERE nomination_id = $1), 0) AS reject""",
        nomination_id,
    )
    return Tally(approve=row["approve"], reject=row["reject"], total=row["approve"] + row["reject"])
