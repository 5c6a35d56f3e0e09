"""The SQL the documents read: a decision with its issuing body, the awards it granted, one award, a
campaign with its organiser. Ballots come from the council's own use case (council/service.py)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from shared.db import Queryable

from ..awards.repository import AWARD_SELECT

# The issuing body of an award's document: the organiser of its campaign, from the local copy of the tree
# (the campaign's organiser is the unit whose committee decides), with the unit above it.
_ISSUER = """
    SELECT u.name AS issuer_name, p.name AS issuer_parent_name
    FROM campaigns k
    LEFT JOIN units u ON u.id = k.organizer_unit_id
    LEFT JOIN units p ON p.id = u.parent_id
    WHERE k.id = $1"""


async def decision(db: Queryable, decision_id: uuid.UUID) -> asyncpg.Record | None:
    return await db.fetchrow("SELECT id, number, signed_on, signer FROM decisions WHERE id = $1", decision_id)


async def issuer(db: Queryable, campaign_id: uuid.UUID) -> asyncpg.Record | None:
    return await db.fetchrow(_ISSUER, campaign_id)


async def awards_of_decision(db: Queryable, decision_id: uuid.UUID, *, standing_only: bool) -> list[asyncpg.Record]:
    """The decision's awards in the annex's order: by campaign, category, collectives first, then name."""
    return list(
        await db.fetch(
            f"""{AWARD_SELECT}
                WHERE n.decision_id = $1 AND (NOT $2 OR n.status = 'granted')
                ORDER BY k.year, k.name, c.name, n.nominee_kind, fold(n.nominee_name), n.id""",
            decision_id,
            standing_only,
        )
    )


async def awards_where(
    db: Queryable,
    *,
    campaign_id: uuid.UUID | None,
    decision_id: uuid.UUID | None,
    year: int | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Standing awards, filtered as the public list is, in the annex's order; `limit + 1` at most."""
    return list(
        await db.fetch(
            f"""{AWARD_SELECT}
                WHERE n.status = 'granted'
                  AND ($1::uuid IS NULL OR n.campaign_id = $1)
                  AND ($2::uuid IS NULL OR n.decision_id = $2)
                  AND ($3::int IS NULL OR k.year = $3)
                ORDER BY d.signed_on, d.number, k.name, c.name, n.nominee_kind, fold(n.nominee_name), n.id
                LIMIT $4""",
            campaign_id,
            decision_id,
            year,
            limit + 1,
        )
    )


async def award(db: Queryable, award_id: uuid.UUID) -> asyncpg.Record | None:
    return await db.fetchrow(f"{AWARD_SELECT} WHERE n.id = $1", award_id)


async def campaign(db: Queryable, campaign_id: uuid.UUID) -> asyncpg.Record | None:
    return await db.fetchrow(
        """SELECT k.id, k.code, k.name, k.year, k.organizer_unit_id, u.name AS issuer_name,
                  p.name AS issuer_parent_name
           FROM campaigns k
           LEFT JOIN units u ON u.id = k.organizer_unit_id
           LEFT JOIN units p ON p.id = u.parent_id
           WHERE k.id = $1""",
        campaign_id,
    )


def as_dict(row: asyncpg.Record) -> dict[str, Any]:
    return dict(row)
