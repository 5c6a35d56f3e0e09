"""Reads of the roll: a page in Vietnamese order, the whole filtered roll, its
counts, the counts of what each ceremony presents, and the lookups that tell a
filter naming an unknown id from one that finds nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg

from shared.db import Queryable

from ..schemas import CampaignRef, CategoryCount, CategoryRef, Counts, KindCounts
from .filters import ORDER, ROLL_COLUMNS, RollFilter, RollKey, after, honoree, subtree, where
from .index import ROLL_INDEX, ensure_built
from .schemas import Honoree
from .search import search


async def list_honorees(
    conn: Queryable,
    f: RollFilter,
    key: RollKey | None,
    limit: int,
    *,
    plan: str | None = None,
) -> list[tuple[Honoree, RollKey]]:
    """A page of the roll in Vietnamese reading order, after `key`; each row with its keyset key.

    A search or a filtered listing is read from the process's embedded index
    (index.py) once it is built, else from PostgreSQL (search.py, through its
    trigram indexes); `plan` forces one way of reading a q= search (tests
    compare them: "index" is the embedded index, the others search.PLANS'
    ways through PostgreSQL).
    """
    units = await subtree(conn, f.unit_id)
    if plan == "index":
        found = await (await ensure_built(conn)).page(conn, f, units, key, limit)
        assert found is not None
        return found
    if plan is None and (f.words or f.has_filters()):
        found = await ROLL_INDEX.page(conn, f, units, key, limit)
        if found is not None:
            return found
    if f.words:
        rows = await search(conn, f, units, key, limit, plan)
    else:
        args: list[Any] = []
        cond = where(f, args, units) + after(args, key)
        args.append(limit)
        if units is not None and units.sparse:
            # Found through the unit index, then sorted: walking the roll in order
            # would read most of it first, a small part of the tree being spread thinly.
            sql = f"""WITH m AS MATERIALIZED (SELECT h.* FROM honorees h WHERE {cond})
                      SELECT {ROLL_COLUMNS} FROM m h LEFT JOIN ceremonies c ON c.id = h.ceremony_id
                      {ORDER} LIMIT ${len(args)}"""
        else:
            sql = f"""SELECT {ROLL_COLUMNS} FROM honorees h LEFT JOIN ceremonies c ON c.id = h.ceremony_id
                      WHERE {cond} {ORDER} LIMIT ${len(args)}"""
        rows = await conn.fetch(sql, *args)
    return [honoree(r) for r in rows]


async def iter_honorees(pool: asyncpg.Pool, f: RollFilter, batch: int = 2000) -> AsyncIterator[list[Honoree]]:
    """The whole filtered roll, batch by batch (for the CSV export)."""
    key: RollKey | None = None
    while True:
        rows = await list_honorees(pool, f, key, batch)
        if rows:
            yield [h for h, _ in rows]
        if len(rows) < batch:
            return
        key = rows[-1][1]


# ------------------------------------------------------------------ counts
def counts(rows: Sequence[asyncpg.Record]) -> Counts:
    by_kind = KindCounts()
    by_category = []
    for r in rows:
        by_kind.collective += r["collective"]
        by_kind.individual += r["individual"]
        by_category.append(
            CategoryCount(
                campaign=CampaignRef(id=r["campaign_id"], name=r["campaign_name"], year=r["year"]),
                category=CategoryRef(id=r["category_id"], name=r["category_name"]),
                form=r["form"],
                collective=r["collective"],
                individual=r["individual"],
                total=r["collective"] + r["individual"],
            )
        )
    return Counts(total=by_kind.collective + by_kind.individual, by_kind=by_kind, by_category=by_category)


_COUNT_COLUMNS = """h.campaign_id, h.campaign_name, h.year, h.category_id, h.category_name, h.form,
    count(*) FILTER (WHERE h.kind = 'collective') AS collective,
    count(*) FILTER (WHERE h.kind = 'individual') AS individual"""
_COUNT_GROUP = "h.campaign_id, h.campaign_name, h.year, h.category_id, h.category_name, h.form"
_COUNT_ORDER = "h.year DESC, h.campaign_name, h.category_name, h.form"


async def stats(conn: Queryable, f: RollFilter) -> Counts:
    args: list[Any] = []
    cond = where(f, args, await subtree(conn, f.unit_id))
    rows = await conn.fetch(
        f"SELECT {_COUNT_COLUMNS} FROM honorees h WHERE {cond} GROUP BY {_COUNT_GROUP} ORDER BY {_COUNT_ORDER}", *args
    )
    return counts(rows)


async def ceremony_counts(conn: Queryable, ceremony_ids: list[uuid.UUID]) -> dict[uuid.UUID, Counts]:
    """Per ceremony, its honourees counted: held, those stamped with it; planned, those it is to present.

    Both are domain.presents, in SQL: the granted honourees of its campaigns
    decided by its day, not presented at an earlier ceremony.
    """
    rows = await conn.fetch(
        f"""SELECT ceremony, {_COUNT_COLUMNS.replace("h.", "x.")} FROM (
                SELECT c.id AS ceremony, h.* FROM ceremonies c
                JOIN honorees h ON h.ceremony_id = c.id AND h.status = 'granted'
                WHERE c.id = ANY($1::uuid[]) AND c.status = 'held'
                UNION ALL
                SELECT c.id AS ceremony, h.* FROM ceremonies c
                JOIN honorees h ON h.campaign_id = ANY(c.campaign_ids) AND h.status = 'granted'
                                AND h.ceremony_id IS NULL AND h.decision_date <= c.held_on
                WHERE c.id = ANY($1::uuid[]) AND c.status = 'planned'
            ) x
            GROUP BY ceremony, {_COUNT_GROUP.replace("h.", "x.")} ORDER BY {_COUNT_ORDER.replace("h.", "x.")}""",
        ceremony_ids,
    )
    per: dict[uuid.UUID, list[asyncpg.Record]] = {i: [] for i in ceremony_ids}
    for r in rows:
        per[r["ceremony"]].append(r)
    return {i: counts(found) for i, found in per.items()}


# ----------------------------------------------------------------- lookups
async def campaign_exists(conn: Queryable, campaign_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT true FROM campaigns WHERE id = $1", campaign_id))


async def unit_exists(conn: Queryable, unit_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT true FROM units WHERE id = $1", unit_id))


async def category_exists(conn: Queryable, category_id: uuid.UUID) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT true FROM campaigns, jsonb_array_elements(categories) x WHERE x->>'id' = $1 LIMIT 1",
            str(category_id),
        )
    )


async def ceremony_exists(conn: Queryable, ceremony_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT true FROM ceremonies WHERE id = $1", ceremony_id))


async def unit_name(conn: Queryable, unit_id: uuid.UUID) -> str | None:
    return await conn.fetchval("SELECT name FROM units WHERE id = $1", unit_id)


async def campaigns(conn: Queryable) -> list[CampaignRef]:
    """Every campaign the roll knows of (the page's filter)."""
    return [_campaign(r) for r in await conn.fetch("SELECT id, name, year FROM campaigns ORDER BY year DESC, name, id")]


async def known_campaigns(conn: Queryable, campaign_ids: list[uuid.UUID]) -> dict[uuid.UUID, CampaignRef]:
    """Those of `campaign_ids` that the roll knows of, by id."""
    rows = await conn.fetch("SELECT id, name, year FROM campaigns WHERE id = ANY($1::uuid[])", campaign_ids)
    return {r["id"]: _campaign(r) for r in rows}


def _campaign(r: asyncpg.Record) -> CampaignRef:
    return CampaignRef(id=r["id"], name=r["name"], year=r["year"])
