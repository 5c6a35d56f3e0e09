"""The SQL of campaigns and their categories."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg

from shared.db import Queryable
from shared.errors import Conflict, NotFound

from ..domain.statuses import CampaignStatus
from .schemas import Campaign, CampaignCreate, Category, PassMark

CAMPAIGN_COLUMNS = (
    "id, code, name, organizer_unit_id, year, starts_on, ends_on, description, status, version, created_at, updated_at"
)
CATEGORY_COLUMNS = (
    "id, campaign_id, code, name, nominee_kind, form, quota, held, quota - held AS remaining, "
    "pass_mark_rule, pass_mark_percent, secret_ballot, comment_working_days, created_at, rules, title"
)
# What PATCH may set, by column (the service has checked and merged the values).
CATEGORY_EDITABLE = frozenset(
    {"code", "name", "nominee_kind", "form", "quota", "pass_mark_rule", "pass_mark_percent", "secret_ballot"}
    | {"comment_working_days", "rules", "title"}
)


async def unit_exists(db: Queryable, unit_id: uuid.UUID) -> bool:
    """Does the local copy of the unit tree hold `unit_id`?"""
    return bool(await db.fetchval("SELECT EXISTS (SELECT 1 FROM units WHERE id = $1)", unit_id))


def pass_mark(rule: str | None, percent: int | None) -> PassMark | None:
    if rule == "at_least":
        return PassMark(at_least_percent=percent)
    if rule == "more_than":
        return PassMark(more_than_percent=percent)
    return None


def category(row: asyncpg.Record) -> Category:
    fields = dict(row)
    mark = pass_mark(fields.pop("pass_mark_rule"), fields.pop("pass_mark_percent"))
    return Category(**fields, pass_mark=mark)


def campaign(row: asyncpg.Record, categories: list[Category]) -> Campaign:
    return Campaign(**{k: v for k, v in dict(row).items() if k != "sort_key"}, categories=categories)


async def categories_of(db: Queryable, campaign_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Category]]:
    found: dict[uuid.UUID, list[Category]] = {i: [] for i in campaign_ids}
    rows = await db.fetch(
        f"SELECT {CATEGORY_COLUMNS} FROM categories WHERE campaign_id = ANY($1::uuid[]) ORDER BY created_at, code",
        campaign_ids,
    )
    for row in rows:
        found[row["campaign_id"]].append(category(row))
    return found


async def get_campaign(db: Queryable, campaign_id: uuid.UUID) -> Campaign:
    row = await db.fetchrow(f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1", campaign_id)
    if row is None:
        raise NotFound("campaign", campaign_id)
    return campaign(row, (await categories_of(db, [campaign_id]))[campaign_id])


async def insert_campaign(conn: asyncpg.Connection, data: CampaignCreate, created_by: uuid.UUID) -> Campaign:
    try:
        row = await conn.fetchrow(
            f"""INSERT INTO campaigns (id, code, name, organizer_unit_id, year, starts_on, ends_on, description, created_by)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {CAMPAIGN_COLUMNS}""",
            uuid.uuid4(),
            data.code,
            data.name,
            data.organizer_unit_id,
            data.year,
            data.starts_on,
            data.ends_on,
            data.description,
            created_by,
        )
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(f"a campaign with code {data.code!r} already exists", field="code") from exc
    return campaign(row, [])


async def list_campaigns(
    db: Queryable,
    *,
    year: int | None,
    status: CampaignStatus | None,
    organizer_unit_id: uuid.UUID | None,
    q: str | None,
    pattern: str | None,
    after: tuple[int, str, uuid.UUID] | None,
    limit: int,
) -> list[tuple[Campaign, str]]:
    """Newest year first, then by name as a Vietnamese reader expects; keyset-paged.

    `pattern` finds the folded name (`shared.text.contains_pattern`); `q` is also matched against the code, whole.
    """
    rows = await db.fetch(
        f"""SELECT {CAMPAIGN_COLUMNS}, fold(name) AS sort_key FROM campaigns
            WHERE ($1::int IS NULL OR year = $1)
              AND ($2::text IS NULL OR status = $2)
              AND ($3::uuid IS NULL OR organizer_unit_id = $3)
              AND ($4::text IS NULL OR fold(name) LIKE $5 OR lower(code) = lower($4))
              AND ($6::int IS NULL OR year < $6 OR (year = $6 AND (fold(name), id) > ($7, $8::uuid)))
            ORDER BY year DESC, fold(name), id
            LIMIT $9""",
        year,
        status,
        organizer_unit_id,
        q,
        pattern,
        after[0] if after else None,
        after[1] if after else None,
        after[2] if after else None,
        limit + 1,
    )
    categories = await categories_of(db, [r["id"] for r in rows])
    return [(campaign(r, categories[r["id"]]), r["sort_key"]) for r in rows]


async def lock_campaign(conn: asyncpg.Connection, campaign_id: uuid.UUID) -> asyncpg.Record:
    """The campaign, locked for the transaction: the first lock of every change to it or its categories."""
    row = await conn.fetchrow(f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1 FOR UPDATE", campaign_id)
    if row is None:
        raise NotFound("campaign", campaign_id)
    return row


async def set_campaign_status(conn: asyncpg.Connection, campaign_id: uuid.UUID, status: CampaignStatus) -> None:
    await conn.execute("UPDATE campaigns SET status = $2 WHERE id = $1", campaign_id, status)


async def update_campaign(
    conn: asyncpg.Connection,
    campaign_id: uuid.UUID,
    *,
    name: str,
    starts_on: date | None,
    ends_on: date | None,
    description: str | None,
) -> None:
    """Set the campaign's name, dates and description (the whole of them: the service merged the patch)."""
    await conn.execute(
        "UPDATE campaigns SET name = $2, starts_on = $3, ends_on = $4, description = $5 WHERE id = $1",
        campaign_id,
        name,
        starts_on,
        ends_on,
        description,
    )


async def bump_campaign(conn: asyncpg.Connection, campaign_id: uuid.UUID) -> Campaign:
    """A new version of the campaign (it, or one of its categories, changed): its whole new state."""
    await conn.execute("UPDATE campaigns SET version = version + 1, updated_at = now() WHERE id = $1", campaign_id)
    return await get_campaign(conn, campaign_id)


async def insert_category(conn: asyncpg.Connection, campaign_id: uuid.UUID, values: dict[str, Any]) -> Category:
    """`values`: the category's columns, checked (see CATEGORY_EDITABLE)."""
    columns = sorted(values)
    try:
        row = await conn.fetchrow(
            f"""INSERT INTO categories (id, campaign_id, {", ".join(columns)})
                VALUES ($1, $2, {", ".join(f"${i}" for i in range(3, len(columns) + 3))})
                RETURNING {CATEGORY_COLUMNS}""",
            uuid.uuid4(),
            campaign_id,
            *(values[c] for c in columns),
        )
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(f"the campaign already has a category with code {values['code']!r}", field="code") from exc
    return category(row)


async def lock_category(conn: asyncpg.Connection, campaign_id: uuid.UUID, category_id: uuid.UUID) -> asyncpg.Record:
    row = await conn.fetchrow(
        f"SELECT {CATEGORY_COLUMNS} FROM categories WHERE id = $1 AND campaign_id = $2 FOR UPDATE",
        category_id,
        campaign_id,
    )
    if row is None:
        raise NotFound("category", category_id)
    return row


async def update_category(conn: asyncpg.Connection, category_id: uuid.UUID, changes: dict[str, Any]) -> Category:
    """Set the columns in `changes` (a subset of CATEGORY_EDITABLE); the others stay as they are."""
    columns = sorted(changes)
    assert CATEGORY_EDITABLE.issuperset(columns), columns
    try:
        row = await conn.fetchrow(
            f"""UPDATE categories SET {", ".join(f"{c} = ${i}" for i, c in enumerate(columns, start=2))}
                WHERE id = $1 RETURNING {CATEGORY_COLUMNS}""",
            category_id,
            *(changes[c] for c in columns),
        )
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(f"the campaign already has a category with code {changes['code']!r}", field="code") from exc
    return category(row)


async def category_use(db: Queryable, category_id: uuid.UUID) -> tuple[int, int]:
    """How many nominations the category has, and how many ballots its members have cast on them (open or secret)."""
    row = await db.fetchrow(
        """SELECT (SELECT count(*) FROM nominations WHERE category_id = $1) AS nominations,
                  (SELECT count(*) FROM votes v JOIN nominations n ON n.id = v.nomination_id
                   WHERE n.category_id = $1)
                  + (SELECT count(*) FROM secret_ballots_cast s JOIN nominations n ON n.id = s.nomination_id
                     WHERE n.category_id = $1) AS ballots""",
        category_id,
    )
    return int(row["nominations"]), int(row["ballots"])
