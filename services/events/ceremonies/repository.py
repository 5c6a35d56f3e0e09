"""The ceremonies' SQL: planned, listed, locked and marked held.

Their honourees are the roll's (roll/queries.py counts them, roll/projection.py
stamps them when one is held).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

import asyncpg

from shared.db import Queryable
from shared.errors import NotFound

from ..domain import CeremonyStatus
from ..roll import queries
from ..schemas import CampaignRef
from .schemas import Ceremony, UnitRef

_COLUMNS = """c.id, c.title, c.held_on, c.venue, c.host_unit_id, u.name AS host_unit_name,
    c.campaign_ids, c.status, c.held_at, c.created_at, c.version"""

CeremonyKey = tuple[date, uuid.UUID]


async def _ceremonies(conn: Queryable, rows: Sequence[asyncpg.Record]) -> list[Ceremony]:
    if not rows:
        return []
    known = await queries.known_campaigns(conn, list({cid for r in rows for cid in r["campaign_ids"]}))
    counts = await queries.ceremony_counts(conn, [r["id"] for r in rows])
    return [
        Ceremony(
            id=r["id"],
            title=r["title"],
            held_on=r["held_on"],
            venue=r["venue"],
            host_unit=UnitRef(id=r["host_unit_id"], name=r["host_unit_name"]),
            campaigns=[known.get(cid) or CampaignRef(id=cid, name="", year=0) for cid in r["campaign_ids"]],
            status=CeremonyStatus(r["status"]),
            held_at=r["held_at"],
            created_at=r["created_at"],
            honorees=counts[r["id"]],
        )
        for r in rows
    ]


async def get(conn: Queryable, ceremony_id: uuid.UUID) -> Ceremony:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM ceremonies c LEFT JOIN units u ON u.id = c.host_unit_id WHERE c.id = $1",
        ceremony_id,
    )
    if row is None:
        raise NotFound("ceremony", ceremony_id)
    return (await _ceremonies(conn, [row]))[0]


async def list_ceremonies(
    conn: Queryable,
    *,
    campaign_id: uuid.UUID | None,
    year: int | None,
    status: CeremonyStatus | None,
    after: CeremonyKey | None,
    limit: int,
) -> list[tuple[Ceremony, CeremonyKey]]:
    """Newest first."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM ceremonies c LEFT JOIN units u ON u.id = c.host_unit_id
            WHERE ($1::uuid IS NULL OR $1 = ANY(c.campaign_ids))
              AND ($2::int IS NULL OR extract(year FROM c.held_on) = $2)
              AND ($3::text IS NULL OR c.status = $3)
              AND ($4::date IS NULL OR (c.held_on, c.id) < ($4, $5::uuid))
            ORDER BY c.held_on DESC, c.id DESC LIMIT $6""",
        campaign_id,
        year,
        status,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return [(c, (c.held_on, c.id)) for c in await _ceremonies(conn, rows)]


async def insert(
    conn: asyncpg.Connection,
    *,
    title: str,
    held_on: date,
    venue: str,
    host_unit_id: uuid.UUID,
    campaign_ids: list[uuid.UUID],
    created_by: uuid.UUID,
) -> asyncpg.Record:
    """A planned ceremony (the table's default status), at version 1."""
    return await conn.fetchrow(
        """INSERT INTO ceremonies (id, title, held_on, venue, host_unit_id, campaign_ids, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *""",
        uuid.uuid4(),
        title,
        held_on,
        venue,
        host_unit_id,
        campaign_ids,
        created_by,
    )


async def lock(conn: asyncpg.Connection, ceremony_id: uuid.UUID) -> asyncpg.Record:
    """The ceremony, locked until the transaction ends."""
    row = await conn.fetchrow("SELECT * FROM ceremonies WHERE id = $1 FOR UPDATE", ceremony_id)
    if row is None:
        raise NotFound("ceremony", ceremony_id)
    return row


async def mark_held(conn: asyncpg.Connection, ceremony_id: uuid.UUID, held_at: datetime) -> asyncpg.Record:
    return await conn.fetchrow(
        "UPDATE ceremonies SET status = $3, held_at = $2, version = version + 1 WHERE id = $1 RETURNING *",
        ceremony_id,
        held_at,
        CeremonyStatus.HELD,
    )
