"""The notice's SQL: what is listed today, one notice, and the objections' throttle."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg

from shared.db import Queryable

from ..schemas import CampaignRef, CategoryRef
from .schemas import Notice

# The current names of the campaign, category and unit where this service knows them.
_LISTED = """
    SELECT n.id, n.kind, n.name, coalesce(u.name, n.unit_name, '') AS unit_name,
           n.campaign_id, coalesce(c.name, n.campaign_name, '') AS campaign_name, coalesce(c.year, 0) AS year,
           n.category_id, coalesce(x->>'name', n.category_name, '') AS category_name,
           coalesce(x->>'form', n.form, '') AS form, n.approved_on, n.comment_until,
           (SELECT count(*) FROM notice_objections o WHERE o.notice_id = n.id AND o.status = 'open') AS objections_open
    FROM notices n
    LEFT JOIN units u ON u.id = n.unit_id
    LEFT JOIN campaigns c ON c.id = n.campaign_id
    LEFT JOIN LATERAL (SELECT y FROM jsonb_array_elements(c.categories) y WHERE y->>'id' = n.category_id::text)
        AS k (x) ON true
"""


def _notice(r: asyncpg.Record) -> Notice:
    return Notice(
        nomination_id=r["id"],
        name=r["name"],
        kind=r["kind"],
        unit_name=r["unit_name"],
        campaign=CampaignRef(id=r["campaign_id"], name=r["campaign_name"], year=r["year"]),
        category=CategoryRef(id=r["category_id"], name=r["category_name"]),
        form=r["form"],
        approved_on=r["approved_on"],
        window_ends_on=r["comment_until"],
        objections_open=r["objections_open"],
    )


async def listed(conn: Queryable, today: date, campaign_id: uuid.UUID | None = None) -> list[Notice]:
    """What is on notice on `today`: by campaign (newest year first), collectives first, in the roll's order."""
    rows = await conn.fetch(
        _LISTED
        + """WHERE n.state = 'listed' AND n.comment_until >= $1 AND ($2::uuid IS NULL OR n.campaign_id = $2)
             ORDER BY coalesce(c.year, 0) DESC, campaign_name, n.campaign_id, n.sort_group, n.sort_key, n.id""",
        today,
        campaign_id,
    )
    return [_notice(r) for r in rows]


async def find(conn: Queryable, nomination_id: uuid.UUID) -> Notice | None:
    """The nomination's notice while it is listed (its window may have ended), or None."""
    row = await conn.fetchrow(_LISTED + "WHERE n.id = $1 AND n.state = 'listed'", nomination_id)
    return _notice(row) if row else None


async def campaign_known(conn: Queryable, campaign_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT true FROM campaigns WHERE id = $1", campaign_id))


# ------------------------------------------------------------------ throttle
async def throttle_count(conn: asyncpg.Connection, address: str, window_seconds: float) -> tuple[int, float | None]:
    """Inside the transaction that will accept the objection: this address's objections in the window
    (and the age in seconds of the oldest), its other requests waiting until this one commits."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('objection:' || $1, 0))", address)
    await conn.execute(
        "DELETE FROM objection_throttle WHERE accepted_at < now() - make_interval(secs => $1)", window_seconds
    )
    row = await conn.fetchrow(
        """SELECT count(*) AS n, extract(epoch FROM now() - min(accepted_at))::float8 AS age
           FROM objection_throttle WHERE address = $1""",
        address,
    )
    return int(row["n"]), row["age"]


async def throttle_add(conn: asyncpg.Connection, address: str) -> None:
    await conn.execute("INSERT INTO objection_throttle (address) VALUES ($1)", address)
