"""SQL of the public notice: what is on notice, objections, the rate limit's counts, what holds a decision back."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import asyncpg

from shared.db import Queryable
from shared.errors import NotFound

from ..domain.notice import Held
from .schemas import Notice, Objection

NOTICE_SELECT = """
    SELECT n.id AS nomination_id, n.nominee_name AS name, n.nominee_kind AS kind, n.unit_name,
           c.name AS campaign, k.name AS category, n.approved_on, n.comment_until AS window_ends_on,
           n.campaign_id, n.category_id, k.form,
           (SELECT count(*) FROM objections o WHERE o.nomination_id = n.id AND o.status = 'open')::int
               AS objections_open
    FROM nominations n
    JOIN campaigns c ON c.id = n.campaign_id
    JOIN categories k ON k.id = n.category_id"""


async def list_notices(
    db: Queryable,
    today: date,
    *,
    campaign_id: uuid.UUID | None,
    after: tuple[Any, ...] | None,
    limit: int,
) -> list[Notice]:
    """Approved nominations whose window runs on `today`, the soonest to end first."""
    rows = await db.fetch(
        f"""{NOTICE_SELECT}
            WHERE n.status = 'approved' AND n.comment_until IS NOT NULL AND n.comment_until >= $1
              AND ($2::uuid IS NULL OR n.campaign_id = $2)
              AND ($3::date IS NULL OR (n.comment_until, n.id) > ($3, $4::uuid))
            ORDER BY n.comment_until, n.id
            LIMIT $5""",
        today,
        campaign_id,
        after[0] if after else None,
        after[1] if after else None,
        limit + 1,
    )
    return [Notice(**dict(r)) for r in rows]


async def category_window_days(db: Queryable, category_id: uuid.UUID) -> int:
    return int(await db.fetchval("SELECT comment_working_days FROM categories WHERE id = $1", category_id) or 0)


async def set_window(
    conn: asyncpg.Connection, nomination_id: uuid.UUID, approved_on: date, comment_until: date | None
) -> None:
    await conn.execute(
        "UPDATE nominations SET approved_on = $2, comment_until = $3 WHERE id = $1",
        nomination_id,
        approved_on,
        comment_until,
    )


async def lock_for_objection(conn: asyncpg.Connection, nomination_id: uuid.UUID) -> asyncpg.Record | None:
    """The nomination's status and notice, locked against a decision granting it meanwhile; None if absent."""
    return await conn.fetchrow(
        "SELECT id, status, approved_on, comment_until FROM nominations WHERE id = $1 FOR SHARE", nomination_id
    )


async def notice_of(db: Queryable, nomination_id: uuid.UUID) -> asyncpg.Record:
    row = await db.fetchrow(
        "SELECT id, status, approved_on, comment_until FROM nominations WHERE id = $1", nomination_id
    )
    if row is None:
        raise NotFound("nomination", nomination_id)
    return row


# ------------------------------------------------------------------ the rate limit
async def lock_rate(conn: asyncpg.Connection, client: str, nomination_id: uuid.UUID) -> None:
    """Serialise the sends of one client, and of one nomination, across every worker and replica."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('objection-client:' || $1, 0)),"
        " pg_advisory_xact_lock(hashtextextended('objection-nomination:' || $2, 0))",
        client,
        str(nomination_id),
    )


async def recent_sends(
    conn: asyncpg.Connection, client: str, nomination_id: uuid.UUID, window_seconds: int
) -> asyncpg.Record:
    """Sends by `client`, and to `nomination_id`, in the last `window_seconds`, the oldest of each, and now."""
    return await conn.fetchrow(
        """WITH recent AS (SELECT client, nomination_id, sent_at FROM objection_sends
                           WHERE (client = $1 OR nomination_id = $2)
                             AND sent_at > now() - make_interval(secs => $3))
           SELECT count(*) FILTER (WHERE client = $1)::int AS by_client,
                  min(sent_at) FILTER (WHERE client = $1) AS client_oldest,
                  count(*) FILTER (WHERE nomination_id = $2)::int AS to_nomination,
                  min(sent_at) FILTER (WHERE nomination_id = $2) AS nomination_oldest,
                  now() AS now
           FROM recent""",
        client,
        nomination_id,
        window_seconds,
    )


async def count_send(conn: asyncpg.Connection, client: str, nomination_id: uuid.UUID) -> None:
    await conn.execute(
        """WITH old AS (DELETE FROM objection_sends WHERE sent_at < now() - interval '1 day')
           INSERT INTO objection_sends (client, nomination_id) VALUES ($1, $2)""",
        client,
        nomination_id,
    )


# ------------------------------------------------------------------ objections
OBJECTION_COLUMNS = """id, nomination_id, name, contact, content, filed_at, source, status, resolution,
                       resolved_by, resolved_by_name, resolved_at"""


async def insert_objection(
    conn: asyncpg.Connection,
    objection_id: uuid.UUID,
    nomination_id: uuid.UUID,
    *,
    name: str,
    contact: str,
    content: str,
    client: str | None,
    source: str,
    filed_at: datetime | None,
) -> Objection | None:
    """Write the objection; None when one with that id is already filed (a repeat changes nothing)."""
    row = await conn.fetchrow(
        f"""INSERT INTO objections (id, nomination_id, name, contact, content, client, source, filed_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8, now()))
            ON CONFLICT (id) DO NOTHING
            RETURNING {OBJECTION_COLUMNS}""",
        objection_id,
        nomination_id,
        name,
        contact,
        content,
        client,
        source,
        filed_at,
    )
    return None if row is None else Objection(**dict(row))


async def list_objections(db: Queryable, nomination_id: uuid.UUID) -> list[Objection]:
    rows = await db.fetch(
        f"SELECT {OBJECTION_COLUMNS} FROM objections WHERE nomination_id = $1 ORDER BY filed_at, id", nomination_id
    )
    return [Objection(**dict(r)) for r in rows]


async def lock_objection(conn: asyncpg.Connection, objection_id: uuid.UUID) -> Objection:
    row = await conn.fetchrow(f"SELECT {OBJECTION_COLUMNS} FROM objections WHERE id = $1 FOR UPDATE", objection_id)
    if row is None:
        raise NotFound("objection", objection_id)
    return Objection(**dict(row))


async def resolve(
    conn: asyncpg.Connection, objection_id: uuid.UUID, resolution: str, by: uuid.UUID, by_name: str
) -> Objection:
    row = await conn.fetchrow(
        f"""UPDATE objections
            SET status = 'resolved', resolution = $2, resolved_by = $3, resolved_by_name = $4, resolved_at = now()
            WHERE id = $1
            RETURNING {OBJECTION_COLUMNS}""",
        objection_id,
        resolution,
        by,
        by_name,
    )
    return Objection(**dict(row))


async def held(conn: asyncpg.Connection, nomination_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Held]:
    """The notice and open objections of the listed nominations (locked by the caller)."""
    rows = await conn.fetch(
        """SELECT n.id, n.nominee_name, n.comment_until,
                  (SELECT count(*) FROM objections o WHERE o.nomination_id = n.id AND o.status = 'open')::int AS open
           FROM nominations n WHERE n.id = ANY($1::uuid[])""",
        list(nomination_ids),
    )
    return {r["id"]: Held(r["nominee_name"], r["comment_until"], r["open"]) for r in rows}
