"""The q= search in PostgreSQL: what answers while the process's embedded index
(index.py) is not built yet, or if its build failed.

It reads the trigram indexes on `honorees.search` (migration
009_roll_trigram.sql), one per sort_group: the roll's order is collectives,
then individuals, and each group is read in turn, the second only when the
first leaves the page short (a person's name matches no collective: the
collectives' index answers that at once). In a group, a search is read one
of two ways, or both:

  sort   the trigram index's candidates (with the filters' indexes), every
         match's key sorted: cheap when the words match few rows, wherever
         they are (a full name, a rare word, a word no one has);
  walk   the group (or a filter's ordered index) in the roll's order, each
         row checked against the words, until the page is full: cheap when
         the words match many of the rows it reads (a family or middle name,
         a letter), whatever their number in all.

By default ("sql"), the planner's estimates of the group's matches and of
the rows its filters leave choose: the sort when it reads fewer rows than a
walk would to fill the page (were the matches spread evenly); else a walk of
at most WALK rows, and when those hold too few matches (many matches, but
all in one stretch of the roll, as a given name's: the roll is ordered by
given name, then family name), the sort of the rest of the group after them.
docs/architecture.md ("The SQL search") has the figures at a million
honourees.

A page is read at one snapshot (a read-only REPEATABLE READ transaction),
planned for its own values (`plan_cache_mode`: a generic plan knows no
pattern) and without sequential scans (a sort's planner, misled by an
estimate, would otherwise read the whole table).

Every way returns the same rows, in the roll's order (tests/events/test_search.py
compares them with the rule and with the embedded index).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from shared.db import Queryable

from .collation import sort_group
from .filters import ORDER, ROLL_COLUMNS, RollFilter, RollKey, Subtree, where

# "sql": chosen by the estimate (the default); "short-walk-then-sort": a walk of 3 rows at most, then the
# sort (so that a small roll's tests take that way too); "walk" and "sort" alone; "index": the process's
# embedded index (index.py: queries.list_honorees reads it, by default once it is built).
PLANS = ("sql", "short-walk-then-sort", "walk", "sort", "index")
# A group the estimates say a sort answers cheaper than a walk (`_sorted`) is sorted whole; another is
# walked, WALK rows at most (5-10 ms, index-only, at a million honourees), and the rest of it sorted when
# the walk found too few matches.
WALK = 20000
GROUPS = (0, 1)  # collation.sort_group: collectives, individuals
_SETTINGS = "SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL enable_seqscan = off"
# A walk reads an ordered index; a sort's candidates come from bitmaps (the trigram index, the filters'):
# the roll's order index holds `search` too, and a misled planner would otherwise filter all of it.
_SCANS = {
    "walk": "SET LOCAL enable_indexscan = on; SET LOCAL enable_indexonlyscan = on",
    "sort": "SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off",
}


async def search(
    pool: Queryable,
    f: RollFilter,
    subtree: Subtree | None,
    after: RollKey | None,
    limit: int,
    plan: str | None = None,
) -> list[asyncpg.Record]:
    """A page of the rows of ROLL_COLUMNS that match every word of `f` and its filters, after `after`.

    Read at one snapshot (a read-only REPEATABLE READ transaction), so that the
    statements of a page agree with each other.
    """
    plan = plan or "sql"
    if plan not in PLANS or plan == "index":
        raise ValueError(f"no plan {plan!r}")
    groups = [sort_group(f.kind)] if f.kind is not None else list(GROUPS)
    async with _connection(pool) as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        await conn.execute(_SETTINGS)
        scans = _Scans(conn)
        keys: list[tuple[int, str, Any]] = []
        for group in groups:
            if after is not None and group < after[0]:
                continue
            cursor = after[1:] if after is not None and group == after[0] else None
            need = limit - len(keys)
            if plan == "walk":
                found, _ = await _walk(scans, f, subtree, group, cursor, need, None)
            elif plan == "sort" or (plan == "sql" and _sorted(*await _estimate(scans, f, subtree, group), need)):
                found = await _sort(scans, f, subtree, group, cursor, need)
            else:
                found, end = await _walk(scans, f, subtree, group, cursor, need, WALK if plan == "sql" else 3)
                if end is not None:
                    found += await _sort(scans, f, subtree, group, end, need - len(found))
            keys += [(group, *k) for k in found]
            if len(keys) >= limit:
                break
        if not keys:
            return []
        return await conn.fetch(
            f"""SELECT {ROLL_COLUMNS} FROM honorees h LEFT JOIN ceremonies c ON c.id = h.ceremony_id
                WHERE h.award_id = ANY($1::uuid[]) {ORDER}""",
            [award_id for *_, award_id in keys],
        )


def _sorted(matches: float, rows: float, need: int) -> bool:
    """Whether sorting every match costs less than walking to the page's last: a walk reads
    need * rows / matches rows (were the matches spread evenly), a sort reads every match, and a row
    read costs about what a match sorted does."""
    return matches * matches <= need * rows


class _Scans:
    """The page's connection, with the scans its planner may choose set for a walk or a sort."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.way = "walk"

    async def fetch(self, way: str, sql: str, *args: Any) -> list[asyncpg.Record]:
        if way != self.way:
            await self.conn.execute(_SCANS[way])
            self.way = way
        return await self.conn.fetch(sql, *args)


@asynccontextmanager
async def _connection(pool: Queryable) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the pool (or the one given) for the page's transaction."""
    if isinstance(pool, asyncpg.Pool):
        async with pool.acquire() as conn:
            yield conn
    else:
        yield pool


def _group_cond(
    f: RollFilter, args: list[Any], subtree: Subtree | None, group: int, cursor: Any, *, ordered: bool
) -> str:
    """The filters in one group, after `cursor` (sort_key, award_id) in it.

    For a walk (`ordered`), the cursor is where the roll's order index is entered: a row comparison
    alone, bounded above by the group (with `sort_group = g` beside it, the index is entered at the
    group's start). For a sort, the group is a literal equality, so that the planner takes the
    group's trigram index, and the cursor compares an expression, which no index holds: the planner
    estimates a row comparison's share of the roll at next to nothing, and would read most of the
    roll's order index for it."""
    g = int(group)
    filters = where(RollFilter(**{**f.fields(), "kind": None}), args, subtree, ())  # the kind is the group
    if cursor is None:
        return f"h.sort_group = {g} AND {filters}"
    args.extend(cursor)
    key = f"({g}::smallint, ${len(args) - 1}, ${len(args)}::uuid)"
    if ordered:
        return f"(h.sort_group, h.sort_key, h.award_id) > {key} AND h.sort_group <= {g} AND {filters}"
    return f"h.sort_group = {g} AND (h.sort_group + 0, h.sort_key, h.award_id) > {key} AND {filters}"


_GROUP_ORDER = "ORDER BY h.sort_key, h.award_id"


async def _estimate(scans: _Scans, f: RollFilter, subtree: Subtree | None, group: int) -> tuple[float, float]:
    """The planner's estimates of the group's matches and of its rows that pass the filters, from the
    statistics (rough, but they tell a full name from a family name), in the whole group: its estimate
    of a cursor's share is no use (next to nothing)."""
    args: list[Any] = []
    cond = _group_cond(f, args, subtree, group, None, ordered=False)
    filtered = list(args)
    match = where(RollFilter(words=f.words), args, None)
    return (
        await _rows(scans.conn, f"SELECT 1 FROM honorees h WHERE {cond} AND {match}", args),
        await _rows(scans.conn, f"SELECT 1 FROM honorees h WHERE {cond}", filtered),
    )


async def _rows(conn: asyncpg.Connection, sql: str, args: list[Any]) -> float:
    """The rows the planner expects `sql` to return."""
    plan = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args)
    if isinstance(plan, str):  # text, unless the pool decodes json (shared.db.create_pool does)
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Plan Rows"])


async def _walk(
    scans: _Scans,
    f: RollFilter,
    subtree: Subtree | None,
    group: int,
    cursor: Any,
    need: int,
    bound: int | None,
) -> tuple[list[tuple[str, Any]], tuple[str, Any] | None]:
    """The first `need` matches among the group's first `bound` rows after `cursor` (all of them when
    None), in the roll's order; and the last row it read when it stopped at its bound short of `need`.

    The walk stops at the `need`-th match: the rows are numbered in order, and the outer LIMIT stops
    pulling them once it has its matches (or the bound's row, which marks where the walk ended).
    """
    args: list[Any] = []
    cond = _group_cond(f, args, subtree, group, cursor, ordered=True)
    # Of the columns the roll's order index holds (INCLUDE): the walk reads it alone.
    match = where(RollFilter(words=f.words), args, None, public=False)
    args.extend((bound, need))
    b, n = f"${len(args) - 1}::int", f"${len(args)}"
    rows = await scans.fetch(
        "walk",
        f"""SELECT sort_key, award_id, hit, n = {b} AS last FROM (
                SELECT h.sort_key, h.award_id, {match} AS hit,
                       row_number() OVER (ORDER BY h.sort_group, h.sort_key, h.award_id) AS n
                FROM honorees h WHERE {cond}
                ORDER BY h.sort_group, h.sort_key, h.award_id LIMIT {b}) w
            WHERE hit OR n = {b} LIMIT {n}""",
        *args,
    )
    found = [(r[0], r[1]) for r in rows if r[2]]
    end = next(((r[0], r[1]) for r in rows if r[3]), None)
    return found, end if len(found) < need else None


async def _sort(
    scans: _Scans, f: RollFilter, subtree: Subtree | None, group: int, cursor: Any, need: int
) -> list[tuple[str, Any]]:
    """The first `need` matches of the group after `cursor`, of every match found through the indexes."""
    args: list[Any] = []
    cond = _group_cond(f, args, subtree, group, cursor, ordered=False)
    match = where(RollFilter(words=f.words), args, None)
    args.append(need)
    rows = await scans.fetch(
        "sort",
        f"""WITH m AS MATERIALIZED (SELECT h.sort_key, h.award_id FROM honorees h WHERE {cond} AND {match})
            SELECT sort_key, award_id FROM m h {_GROUP_ORDER} LIMIT ${len(args)}""",
        *args,
    )
    return [(r[0], r[1]) for r in rows]
