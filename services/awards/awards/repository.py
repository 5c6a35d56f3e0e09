"""The SQL of awards: granted (or revoked) nominations, with their campaign, category and decision."""

from __future__ import annotations

import uuid

import asyncpg

from shared import verification
from shared.db import Queryable

from ..domain.statuses import NomineeKind
from .schemas import Award, StaffAward

AWARD_SELECT = """
    SELECT n.id AS award_id, n.id AS nomination_id, n.status, n.nominee_kind AS kind, n.nominee_id,
           n.nominee_name AS name, n.unit_id, n.unit_name,
           n.campaign_id, k.name AS campaign_name, k.code AS campaign_code, k.year,
           n.category_id, c.name AS category_name, c.code AS category_code, c.form,
           n.decision_id, d.number AS decision_number, d.signed_on AS decision_date, d.signer AS decision_signer,
           n.granted_at, n.revoked_at, CASE WHEN n.status = 'revoked' THEN n.reason END AS revocation_reason,
           n.version, n.verification_code
    FROM nominations n
    JOIN campaigns k ON k.id = n.campaign_id
    JOIN categories c ON c.id = n.category_id
    JOIN decisions d ON d.id = n.decision_id"""

_AWARD_FIELDS = frozenset(Award.__struct_fields__)


def award(row: asyncpg.Record) -> Award:
    return Award(**{k: v for k, v in dict(row).items() if k in _AWARD_FIELDS})


def staff_award(row: asyncpg.Record) -> StaffAward:
    """The award with its verification code, for committee and admin."""
    return StaffAward(
        **{k: v for k, v in dict(row).items() if k in _AWARD_FIELDS},
        verification_code=verification.display(row["verification_code"]),
    )


async def find_award(db: Queryable, award_id: uuid.UUID) -> asyncpg.Record | None:
    """The award's row (see `AWARD_SELECT`), granted or revoked; None when no decision granted that nomination."""
    return await db.fetchrow(f"{AWARD_SELECT} WHERE n.id = $1", award_id)


async def status_of(db: Queryable, nomination_id: uuid.UUID) -> str | None:
    return await db.fetchval("SELECT status FROM nominations WHERE id = $1", nomination_id)


async def awards_of_decision(db: Queryable, decision_id: uuid.UUID) -> list[Award]:
    rows = await db.fetch(f"{AWARD_SELECT} WHERE n.decision_id = $1 ORDER BY fold(n.nominee_name), n.id", decision_id)
    return [award(r) for r in rows]


async def list_awards(
    db: Queryable,
    *,
    campaign_id: uuid.UUID | None,
    category_id: uuid.UUID | None,
    year: int | None,
    kind: NomineeKind | None,
    unit_id: uuid.UUID | None,
    decision_id: uuid.UUID | None,
    pattern: str | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[tuple[Award, str]]:
    """Granted, unrevoked awards by the honouree's name as a Vietnamese reader expects; `pattern` finds the folded name."""
    rows = await db.fetch(
        f"""{AWARD_SELECT.replace("SELECT ", "SELECT fold(n.nominee_name) AS sort_key, ", 1)}
            WHERE n.status = 'granted'
              AND ($1::uuid IS NULL OR n.campaign_id = $1)
              AND ($2::uuid IS NULL OR n.category_id = $2)
              AND ($3::int IS NULL OR k.year = $3)
              AND ($4::text IS NULL OR n.nominee_kind = $4)
              AND ($5::uuid IS NULL OR EXISTS (
                      SELECT 1 FROM units u, units s WHERE u.id = n.unit_id AND s.id = $5 AND u.path <@ s.path))
              AND ($6::uuid IS NULL OR n.decision_id = $6)
              AND ($7::text IS NULL OR fold(n.nominee_name) LIKE $7)
              AND ($8::text IS NULL OR (fold(n.nominee_name), n.id) > ($8, $9::uuid))
            ORDER BY fold(n.nominee_name), n.id
            LIMIT $10""",
        campaign_id,
        category_id,
        year,
        kind,
        unit_id,
        decision_id,
        pattern,
        after[0] if after else None,
        after[1] if after else None,
        limit + 1,
    )
    return [(award(r), r["sort_key"]) for r in rows]
