"""The SQL of eligibility: a category's rules, a nominee's history, a unit's figures, reliances, review items."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from shared.db import Queryable
from shared.errors import NotFound

from ..domain.eligibility import Check, Holding, ShareFigures, title_key


@dataclass(frozen=True, slots=True)
class CategoryFacts:
    rules: list[dict[str, Any]]
    year: int
    title: str  # the title the category confers, as rules name it
    nominee_kind: str


async def category_facts(db: Queryable, category_id: uuid.UUID) -> CategoryFacts:
    row = await db.fetchrow(
        """SELECT c.rules, k.year, COALESCE(c.title, c.name) AS title, c.nominee_kind
           FROM categories c JOIN campaigns k ON k.id = c.campaign_id WHERE c.id = $1""",
        category_id,
    )
    if row is None:
        raise NotFound("category", category_id)
    return CategoryFacts(list(row["rules"]), row["year"], row["title"], row["nominee_kind"])


# The nominee's granted (unrevoked) awards, this nomination aside, and its imported titles.
HOLDINGS = """
    SELECT COALESCE(c.title, c.name) AS title, c.form, k.year, n.id AS award_id, NULL::uuid AS title_id,
           d.number AS decision_number
    FROM nominations n
    JOIN categories c ON c.id = n.category_id
    JOIN campaigns k ON k.id = n.campaign_id
    LEFT JOIN decisions d ON d.id = n.decision_id
    WHERE n.nominee_id = $1 AND n.status = 'granted' AND n.id IS DISTINCT FROM $2
    UNION ALL
    SELECT title, NULL, year, NULL, id, NULL FROM past_titles WHERE nominee_id = $1"""


async def holdings(db: Queryable, nominee_id: uuid.UUID, nomination_id: uuid.UUID | None) -> tuple[Holding, ...]:
    rows = await db.fetch(HOLDINGS, nominee_id, nomination_id)
    return tuple(Holding(**dict(r)) for r in rows)


async def share_figures(
    db: Queryable,
    titles: Sequence[str],
    *,
    unit_id: uuid.UUID,
    category_id: uuid.UUID,
    year: int,
    nomination_id: uuid.UUID | None,
    statuses: Sequence[str],
) -> dict[str, ShareFigures]:
    """Per share rule's title (by `title_key`): the unit's nominations of the category in `statuses`, this one
    counted once whatever its status, and the unit's people holding that title in `year`."""
    others = await db.fetchval(
        """SELECT count(*) FROM nominations
           WHERE category_id = $1 AND unit_id = $2 AND status = ANY($3::text[]) AND id IS DISTINCT FROM $4""",
        category_id,
        unit_id,
        list(statuses),
        nomination_id,
    )
    rows = await db.fetch(
        """SELECT DISTINCT h.nominee_id, h.title FROM (
               SELECT n.nominee_id, COALESCE(c.title, c.name) AS title
               FROM nominations n JOIN categories c ON c.id = n.category_id JOIN campaigns k ON k.id = n.campaign_id
               WHERE n.status = 'granted' AND n.nominee_kind = 'individual' AND k.year = $2
               UNION ALL
               SELECT nominee_id, title FROM past_titles WHERE year = $2 AND nominee_kind = 'individual'
           ) h JOIN people p ON p.id = h.nominee_id
           WHERE p.unit_id = $1""",
        unit_id,
        year,
    )
    figures = {}
    for title in titles:
        key = title_key(title)
        holders = {r["nominee_id"] for r in rows if title_key(r["title"]) == key}
        figures[key] = ShareFigures(nominations=int(others) + 1, holders=len(holders))
    return figures


async def record_reliances(conn: asyncpg.Connection, nomination_id: uuid.UUID, checks: Sequence[Check]) -> None:
    """What each passed rule relied on, kept with the nomination (the cascade of a revocation reads it)."""
    rows = [
        (nomination_id, c.index, c.rule.kind, c.rule.citation, h.award_id, h.title_id, h.title, h.year)
        for c in checks
        if c.passed
        for h in c.relies_on
    ]
    if rows:
        await conn.executemany(
            """INSERT INTO reliances (nomination_id, rule_index, rule_kind, citation, award_id, title_id, title, year)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING""",
            rows,
        )


async def nomination_row(db: Queryable, nomination_id: uuid.UUID) -> asyncpg.Record:
    row = await db.fetchrow(
        """SELECT id, category_id, nominee_id, nominee_name, nominee_kind, unit_id, unit_name, status
           FROM nominations WHERE id = $1""",
        nomination_id,
    )
    if row is None:
        raise NotFound("nomination", nomination_id)
    return row


async def readable_ids(
    db: Queryable, nomination_ids: list[uuid.UUID], scope_unit_id: uuid.UUID | None
) -> list[uuid.UUID]:
    """Those of `nomination_ids` that exist and, for an officer, lie in its subtree; in the order given."""
    rows = await db.fetch(
        """SELECT n.id FROM nominations n JOIN units u ON u.id = n.unit_id
           WHERE n.id = ANY($1::uuid[])
             AND ($2::uuid IS NULL OR u.path <@ (SELECT s.path FROM units s WHERE s.id = $2))""",
        nomination_ids,
        scope_unit_id,
    )
    found = {r["id"] for r in rows}
    return [i for i in nomination_ids if i in found]


DEPENDENTS = """
    SELECT r.nomination_id, n.nominee_name AS name, n.nominee_kind AS kind, n.status, n.unit_name,
           k.name AS campaign_name, k.year, COALESCE(c.title, c.name) AS title, c.form,
           r.rule_kind, r.citation, r.title AS relied_title, r.year AS relied_year,
           i.id AS review_item_id, i.status AS review_status
    FROM reliances r
    JOIN nominations n ON n.id = r.nomination_id
    JOIN categories c ON c.id = n.category_id
    JOIN campaigns k ON k.id = n.campaign_id
    LEFT JOIN review_items i ON i.nomination_id = r.nomination_id AND i.cause_award_id = r.award_id
    WHERE r.award_id = $1
    ORDER BY k.year, fold(n.nominee_name), r.nomination_id"""


async def dependents(db: Queryable, award_id: uuid.UUID) -> list[asyncpg.Record]:
    """Every nomination or award whose eligibility relied on `award_id`, whatever its status now."""
    return await db.fetch(DEPENDENTS, award_id)


REVIEW_SELECT = """
    SELECT i.id, i.nomination_id, i.cause_award_id, i.reason, i.status, i.resolution, i.resolved_by_name,
           i.resolved_at, i.created_at, i.version,
           n.nominee_name AS name, n.nominee_kind AS kind, n.status AS nomination_status, n.unit_name,
           k.name AS campaign_name, k.year, COALESCE(c.title, c.name) AS title,
           cause.nominee_name AS cause_name
    FROM review_items i
    JOIN nominations n ON n.id = i.nomination_id
    JOIN categories c ON c.id = n.category_id
    JOIN campaigns k ON k.id = n.campaign_id
    JOIN nominations cause ON cause.id = i.cause_award_id"""


async def open_review_item(
    conn: asyncpg.Connection, nomination_id: uuid.UUID, cause_award_id: uuid.UUID, reason: str
) -> asyncpg.Record | None:
    """A new review item (None when the same revocation already put this nomination before the committee)."""
    item_id = await conn.fetchval(
        """INSERT INTO review_items (id, nomination_id, cause_award_id, reason) VALUES ($1, $2, $3, $4)
           ON CONFLICT (nomination_id, cause_award_id) DO NOTHING RETURNING id""",
        uuid.uuid4(),
        nomination_id,
        cause_award_id,
        reason,
    )
    return None if item_id is None else await conn.fetchrow(f"{REVIEW_SELECT} WHERE i.id = $1", item_id)


async def review_items(
    db: Queryable, *, status: str | None, nomination_ids: Sequence[uuid.UUID] | None = None, limit: int = 500
) -> list[asyncpg.Record]:
    return await db.fetch(
        f"""{REVIEW_SELECT}
            WHERE ($1::text IS NULL OR i.status = $1)
              AND ($2::uuid[] IS NULL OR i.nomination_id = ANY($2::uuid[]))
            ORDER BY i.created_at, i.id LIMIT $3""",
        status,
        list(nomination_ids) if nomination_ids is not None else None,
        limit,
    )


async def lock_review_item(conn: asyncpg.Connection, item_id: uuid.UUID) -> asyncpg.Record:
    row = await conn.fetchrow("SELECT * FROM review_items WHERE id = $1 FOR UPDATE", item_id)
    if row is None:
        raise NotFound("review item", item_id)
    return row


async def resolve_review_item(
    conn: asyncpg.Connection, item_id: uuid.UUID, resolution: str, by: uuid.UUID, by_name: str
) -> asyncpg.Record:
    await conn.execute(
        """UPDATE review_items SET status = 'resolved', resolution = $2, resolved_by = $3, resolved_by_name = $4,
                  resolved_at = now(), version = version + 1
           WHERE id = $1""",
        item_id,
        resolution,
        by,
        by_name,
    )
    return await conn.fetchrow(f"{REVIEW_SELECT} WHERE i.id = $1", item_id)
