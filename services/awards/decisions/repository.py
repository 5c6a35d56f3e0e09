"""The SQL of decisions and of the grants they make."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg

from shared import verification
from shared.auth import Principal
from shared.db import Queryable
from shared.errors import Conflict, NotFound

from ..awards.repository import AWARD_SELECT, awards_of_decision
from ..domain.granting import Listed
from ..domain.statuses import NominationStatus
from .schemas import Decision, DecisionSummary


async def insert_decision(
    conn: asyncpg.Connection, decision_id: uuid.UUID, actor: Principal, *, number: str, signed_on: date, signer: str
) -> None:
    try:
        await conn.execute(
            """INSERT INTO decisions (id, number, signed_on, signer, created_by, created_by_name)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            decision_id,
            number,
            signed_on,
            signer,
            actor.account_id,
            actor.username,
        )
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(f"a decision numbered {number!r} already exists", field="number") from exc


async def lock_listed(conn: asyncpg.Connection, nomination_ids: list[uuid.UUID]) -> dict[uuid.UUID, Listed]:
    """The listed nominations that exist, locked, with the number of the decision that granted each, if one did."""
    # Locked in id order, so two decisions over overlapping lists cannot deadlock.
    rows = await conn.fetch(
        """SELECT n.id, n.status, d.number AS decision_number FROM nominations n
           LEFT JOIN decisions d ON d.id = n.decision_id
           WHERE n.id = ANY($1::uuid[]) ORDER BY n.id FOR UPDATE OF n""",
        nomination_ids,
    )
    return {r["id"]: Listed(status=r["status"], decision_number=r["decision_number"]) for r in rows}


async def grant(
    conn: asyncpg.Connection, nomination_ids: list[uuid.UUID], decision_id: uuid.UUID
) -> list[asyncpg.Record]:
    """Grant the (locked, approved) nominations by the decision: each a new version with its verification
    code (shared/verification.py); their award rows, by id."""
    codes = await new_verification_codes(conn, len(nomination_ids))
    await conn.execute(
        """UPDATE nominations n SET status = $3, decision_id = $2, version = version + 1,
                                    granted_at = now(), updated_at = now(), verification_code = c.code
           FROM unnest($1::uuid[], $4::text[]) AS c (id, code)
           WHERE n.id = c.id""",
        nomination_ids,
        decision_id,
        NominationStatus.GRANTED,
        codes,
    )
    return list(await conn.fetch(f"{AWARD_SELECT} WHERE n.id = ANY($1::uuid[]) ORDER BY n.id", nomination_ids))


async def new_verification_codes(db: Queryable, count: int) -> list[str]:
    """`count` fresh codes that no award holds (a clash is about one in 10^12 per code: drawn again)."""
    codes = {verification.new_code() for _ in range(count)}
    while True:
        taken = await db.fetch(
            "SELECT verification_code FROM nominations WHERE verification_code = ANY($1::text[])", list(codes)
        )
        codes -= {r["verification_code"] for r in taken}
        if len(codes) == count:
            return list(codes)
        codes |= {verification.new_code() for _ in range(count - len(codes))}


async def get_decision(db: Queryable, decision_id: uuid.UUID) -> Decision:
    row = await db.fetchrow(
        "SELECT id, number, signed_on, signer, created_by, created_by_name, created_at FROM decisions WHERE id = $1",
        decision_id,
    )
    if row is None:
        raise NotFound("decision", decision_id)
    awards = await awards_of_decision(db, decision_id)
    return Decision(**dict(row), nomination_ids=[a.nomination_id for a in awards], awards=awards)


async def list_decisions(
    db: Queryable, *, campaign_id: uuid.UUID | None, after: tuple[date, uuid.UUID] | None, limit: int
) -> list[DecisionSummary]:
    rows = await db.fetch(
        """SELECT d.id, d.number, d.signed_on, d.signer, d.created_at,
                  (SELECT count(*) FROM nominations n WHERE n.decision_id = d.id) AS awards
           FROM decisions d
           WHERE ($1::uuid IS NULL OR EXISTS (SELECT 1 FROM nominations n WHERE n.decision_id = d.id AND n.campaign_id = $1))
             AND ($2::date IS NULL OR (d.signed_on, d.id) < ($2, $3::uuid))
           ORDER BY d.signed_on DESC, d.id DESC
           LIMIT $4""",
        campaign_id,
        after[0] if after else None,
        after[1] if after else None,
        limit + 1,
    )
    return [DecisionSummary(**dict(r)) for r in rows]
