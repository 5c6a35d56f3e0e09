"""The SQL of the council: its members, the accounts copy, recusals, the secret ballot box, and the counts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from shared.db import Queryable
from shared.errors import NotFound

from ..domain.council import Count, PassMark


# ------------------------------------------------------------------ the accounts copy
async def apply_account(
    conn: asyncpg.Connection,
    *,
    account_id: uuid.UUID,
    username: str,
    display_name: str | None,
    role: str,
    unit_id: uuid.UUID | None,
    version: int,
) -> bool:
    """Upsert an account of the copy unless the copy already holds this or a newer version."""
    return bool(
        await conn.fetchval(
            """INSERT INTO accounts (id, username, display_name, role, unit_id, version) VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (id) DO UPDATE
                   SET username = EXCLUDED.username, display_name = EXCLUDED.display_name, role = EXCLUDED.role,
                       unit_id = EXCLUDED.unit_id, version = EXCLUDED.version, updated_at = now()
                   WHERE accounts.version < EXCLUDED.version
               RETURNING true""",
            account_id,
            username,
            display_name,
            role,
            unit_id,
            version,
        )
    )


async def candidates(db: Queryable) -> list[asyncpg.Record]:
    """The committee accounts of the copy that are not disabled, by username."""
    return await db.fetch(
        """SELECT a.id AS account_id, a.username, a.display_name FROM accounts a
           WHERE a.role = 'committee'
             AND NOT EXISTS (SELECT 1 FROM account_blocks b WHERE b.account_id = a.id AND b.disabled)
           ORDER BY a.username, a.id"""
    )


async def accounts_of(db: Queryable, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    """The copy's accounts among `ids`, with whether each is disabled."""
    rows = await db.fetch(
        """SELECT a.id, a.username, a.display_name, a.role,
                  COALESCE((SELECT b.disabled FROM account_blocks b WHERE b.account_id = a.id), false) AS disabled
           FROM accounts a WHERE a.id = ANY($1::uuid[])""",
        list(ids),
    )
    return {r["id"]: r for r in rows}


# ------------------------------------------------------------------ the council
async def lock_campaign(conn: asyncpg.Connection, campaign_id: uuid.UUID) -> None:
    """The campaign, locked: two council changes of one campaign queue here."""
    if not await conn.fetchval("SELECT true FROM campaigns WHERE id = $1 FOR UPDATE", campaign_id):
        raise NotFound("campaign", campaign_id)


async def campaign_exists(db: Queryable, campaign_id: uuid.UUID) -> None:
    if not await db.fetchval("SELECT true FROM campaigns WHERE id = $1", campaign_id):
        raise NotFound("campaign", campaign_id)


async def members(db: Queryable, campaign_id: uuid.UUID) -> list[asyncpg.Record]:
    """The council's members with their names from the copy, by username."""
    return await db.fetch(
        """SELECT m.account_id, COALESCE(a.username, m.account_id::text) AS username, a.display_name
           FROM council_members m LEFT JOIN accounts a ON a.id = m.account_id
           WHERE m.campaign_id = $1 ORDER BY a.username, m.account_id""",
        campaign_id,
    )


async def council_version(db: Queryable, campaign_id: uuid.UUID) -> int:
    return int(await db.fetchval("SELECT version FROM councils WHERE campaign_id = $1", campaign_id) or 0)


async def campaign_has_ballots(db: Queryable, campaign_id: uuid.UUID) -> bool:
    """Has anyone voted or recused on a nomination of the campaign?"""
    return bool(
        await db.fetchval(
            """SELECT EXISTS (SELECT 1 FROM votes v JOIN nominations n ON n.id = v.nomination_id WHERE n.campaign_id = $1)
                   OR EXISTS (SELECT 1 FROM secret_ballots_cast s JOIN nominations n ON n.id = s.nomination_id
                              WHERE n.campaign_id = $1)
                   OR EXISTS (SELECT 1 FROM recusals r JOIN nominations n ON n.id = r.nomination_id
                              WHERE n.campaign_id = $1)""",
            campaign_id,
        )
    )


async def replace_members(conn: asyncpg.Connection, campaign_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> int:
    """Make `ids` the council (none: no council); the council's new version (0 when none is left)."""
    await conn.execute("DELETE FROM council_members WHERE campaign_id = $1", campaign_id)
    version = await conn.fetchval(
        """INSERT INTO councils (campaign_id) VALUES ($1)
           ON CONFLICT (campaign_id) DO UPDATE SET version = councils.version + 1, updated_at = now()
           RETURNING version""",
        campaign_id,
    )
    await conn.executemany(
        "INSERT INTO council_members (campaign_id, account_id) VALUES ($1, $2)", [(campaign_id, i) for i in ids]
    )
    return int(version)


# ------------------------------------------------------------------ a nomination's ballot
BALLOT_CONTEXT = """
SELECT n.campaign_id, n.category_id, n.status, k.secret_ballot, k.pass_mark_rule, k.pass_mark_percent,
       EXISTS (SELECT 1 FROM council_members m WHERE m.campaign_id = n.campaign_id) AS has_council,
       EXISTS (SELECT 1 FROM council_members m WHERE m.campaign_id = n.campaign_id AND m.account_id = $2) AS is_member,
       EXISTS (SELECT 1 FROM recusals r WHERE r.nomination_id = n.id AND r.member_id = $2) AS recused,
       (EXISTS (SELECT 1 FROM votes v WHERE v.nomination_id = n.id AND v.member_id = $2)
        OR EXISTS (SELECT 1 FROM secret_ballots_cast s WHERE s.nomination_id = n.id AND s.member_id = $2)) AS voted
FROM nominations n JOIN categories k ON k.id = n.category_id
WHERE n.id = $1"""


async def ballot_context(db: Queryable, nomination_id: uuid.UUID, member_id: uuid.UUID | None) -> asyncpg.Record:
    """The nomination's category and council as they bear on `member_id`'s vote (None: nobody in particular)."""
    row = await db.fetchrow(BALLOT_CONTEXT, nomination_id, member_id)
    if row is None:
        raise NotFound("nomination", nomination_id)
    return row


def pass_mark(row: Any) -> PassMark | None:
    return PassMark.of(row["pass_mark_rule"], row["pass_mark_percent"])


async def serialize_member(conn: asyncpg.Connection, nomination_id: uuid.UUID, member_id: uuid.UUID) -> None:
    """One member's vote and recusal on one nomination queue on each other (both only share-lock the nomination)."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1::uuid::text || '/' || $2::uuid::text, 0))",
        nomination_id,
        member_id,
    )


COUNT = """
SELECT COALESCE(v.yes, 0) + COALESCE(b.yes, 0) AS yes, COALESCE(v.no, 0) + COALESCE(b.no, 0) AS no,
       CASE WHEN c.size > 0 THEN c.size ELSE COALESCE(v.voters, 0) + COALESCE(s.voters, 0) END AS members,
       COALESCE(r.recused, 0) AS recused
FROM nominations n
CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE approve) AS yes, count(*) FILTER (WHERE NOT approve) AS no,
                           count(*) AS voters
                    FROM votes WHERE nomination_id = n.id) v
LEFT JOIN secret_ballot_box b ON b.nomination_id = n.id
CROSS JOIN LATERAL (SELECT count(*) AS voters FROM secret_ballots_cast WHERE nomination_id = n.id) s
CROSS JOIN LATERAL (SELECT count(*) AS size FROM council_members WHERE campaign_id = n.campaign_id) c
CROSS JOIN LATERAL (SELECT count(*) AS recused FROM recusals WHERE nomination_id = n.id) r
WHERE n.id = $1"""


async def count(db: Queryable, nomination_id: uuid.UUID) -> Count:
    row = await db.fetchrow(COUNT, nomination_id)
    if row is None:
        raise NotFound("nomination", nomination_id)
    return Count(yes=row["yes"], no=row["no"], members=row["members"], recused=row["recused"])


async def open_votes(db: Queryable, nomination_id: uuid.UUID) -> list[asyncpg.Record]:
    """The named votes of an open ballot, in the order they were last cast."""
    return await db.fetch(
        """SELECT v.member_id AS account_id, v.member_name AS username, a.display_name, v.approve, v.comment
           FROM votes v LEFT JOIN accounts a ON a.id = v.member_id
           WHERE v.nomination_id = $1 ORDER BY v.cast_at, v.member_id""",
        nomination_id,
    )


async def own_vote(db: Queryable, nomination_id: uuid.UUID, member_id: uuid.UUID) -> asyncpg.Record | None:
    return await db.fetchrow(
        "SELECT approve, comment FROM votes WHERE nomination_id = $1 AND member_id = $2", nomination_id, member_id
    )


async def has_cast_secret(db: Queryable, nomination_id: uuid.UUID, member_id: uuid.UUID) -> bool:
    return bool(
        await db.fetchval(
            "SELECT true FROM secret_ballots_cast WHERE nomination_id = $1 AND member_id = $2", nomination_id, member_id
        )
    )


async def cast_secret(conn: asyncpg.Connection, nomination_id: uuid.UUID, member_id: uuid.UUID, approve: bool) -> bool:
    """Record that the member cast, and add the ballot to the box's count; False (nothing written) if cast before."""
    cast = await conn.fetchval(
        """INSERT INTO secret_ballots_cast (nomination_id, member_id) VALUES ($1, $2)
           ON CONFLICT DO NOTHING RETURNING true""",
        nomination_id,
        member_id,
    )
    if not cast:
        return False
    await conn.execute(
        """INSERT INTO secret_ballot_box (nomination_id, yes, no) VALUES ($1, $2::int, 1 - $2::int)
           ON CONFLICT (nomination_id) DO UPDATE
               SET yes = secret_ballot_box.yes + EXCLUDED.yes, no = secret_ballot_box.no + EXCLUDED.no""",
        nomination_id,
        1 if approve else 0,
    )
    return True


async def insert_recusal(
    conn: asyncpg.Connection, nomination_id: uuid.UUID, member_id: uuid.UUID, member_name: str, reason: str
) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO recusals (nomination_id, member_id, member_name, reason) VALUES ($1, $2, $3, $4)
           RETURNING nomination_id, member_id, member_name, reason, recused_at""",
        nomination_id,
        member_id,
        member_name,
        reason,
    )


async def recusals(db: Queryable, nomination_ids: Sequence[uuid.UUID]) -> list[asyncpg.Record]:
    return await db.fetch(
        """SELECT r.nomination_id, r.member_id AS account_id, r.member_name AS username, a.display_name, r.reason,
                  r.recused_at
           FROM recusals r LEFT JOIN accounts a ON a.id = r.member_id
           WHERE r.nomination_id = ANY($1::uuid[]) ORDER BY r.recused_at, r.member_id""",
        list(nomination_ids),
    )


# ------------------------------------------------------------------ the ballot's record
async def balloted_nominations(db: Queryable, campaign_id: uuid.UUID) -> list[asyncpg.Record]:
    """The campaign's nominations that received votes or recusals, with their category and counts."""
    return await db.fetch(
        """SELECT n.id AS nomination_id, n.nominee_name, n.unit_name, n.status, n.category_id,
                  k.name AS category_name, k.secret_ballot, k.pass_mark_rule, k.pass_mark_percent
           FROM nominations n JOIN categories k ON k.id = n.category_id
           WHERE n.campaign_id = $1
             AND (EXISTS (SELECT 1 FROM votes v WHERE v.nomination_id = n.id)
                  OR EXISTS (SELECT 1 FROM secret_ballots_cast s WHERE s.nomination_id = n.id)
                  OR EXISTS (SELECT 1 FROM recusals r WHERE r.nomination_id = n.id))
           ORDER BY k.name, n.nominee_name, n.id""",
        campaign_id,
    )
