"""The q= search planner: how a search of the roll is read, whichever way is cheapest.

Every plan returns the same rows in the roll's order; the choice only changes
the time (tests/events/test_search.py compares them, tests/events/bench_roll.py
times them at a million honourees).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from shared.db import Queryable

from .filters import (
    ORDER,
    ROLL_COLUMNS,
    RollFilter,
    RollKey,
    Subtree,
    kind_range,
    token_pattern,
    where,
)
from .filters import after as keyset
from .projection import roll_version

# ------------------------------------------------------------ q= searches
# A q= word is looked up in the dictionary of the roll's words (roll_tokens:
# the words it is part of, or starts, when it is short); each of those words'
# honourees is a range of roll_words in the roll's order, and each of its
# entries carries the honouree's filterable attributes and folded text, so a
# range is filtered and checked without reading `honorees`. A search is then
# read one of five ways, whichever is cheapest by the counts below:
#
#   rare     a word with fewer than RARE honourees: all its entries that pass
#            the query, then sorted;
#   streams  the first `limit` entries of each of the rarest word's ranges, in
#            order, that pass the rest of the query; the union sorted;
#   walk     the roll, or a filter's ordered index, in order, each row checked
#            (when the words match most of what the filters leave);
#   filter   filters that leave few rows: all of those, then sorted;
#   sort     the trigram index and the filters' indexes together, every match sorted.
#
# Only the page's own rows are read from `honorees` by rare and streams.
# Every plan returns the same rows; the choice only changes the time.
RARE = 5000
FEW_FILTERED = 10_000
# "index": the process's embedded index (index.py; queries.list_honorees reads it, and by default once built).
PLANS = ("rare", "filter", "streams", "walk", "sort", "index")
_STATS_SECONDS = 60.0


@dataclass(slots=True)
class _WordStats:
    """roll_words' word frequencies as ANALYZE last saw them (cached per process)."""

    read_at: float = -1e9
    freqs: dict[str, float] | None = None
    floor: float = 0.0  # the frequency of a word too rare to be among the common ones
    words: float = 0.0  # rows of roll_words
    honorees: float = 0.0


_word_stats = _WordStats()


async def _stats(conn: Queryable) -> _WordStats:
    now = time.monotonic()
    if now - _word_stats.read_at < _STATS_SECONDS:
        return _word_stats
    row = await conn.fetchrow(
        """SELECT (SELECT reltuples FROM pg_class WHERE oid = 'roll_words'::regclass) AS words,
                  (SELECT reltuples FROM pg_class WHERE oid = 'honorees'::regclass) AS honorees,
                  s.most_common_vals::text::text[] AS vals, s.most_common_freqs AS freqs
           FROM (SELECT 1) one LEFT JOIN pg_stats s
                ON s.schemaname = current_schema() AND s.tablename = 'roll_words' AND s.attname = 'word'"""
    )
    _word_stats.read_at = now
    _word_stats.words = max(float(row["words"]), 0.0)
    _word_stats.honorees = max(float(row["honorees"]), 0.0)
    if row["vals"]:
        _word_stats.freqs = dict(zip(row["vals"], row["freqs"], strict=True))
        _word_stats.floor = min(row["freqs"]) / 2
    else:
        _word_stats.freqs = None
    return _word_stats


@dataclass(frozen=True, slots=True)
class _Word:
    word: str
    tokens: list[str]  # the roll's words it matches
    rows: float  # its honourees: exact below RARE, else estimated


@dataclass(slots=True)
class _Lookups:
    """What each q= word was found to match (its roll words, and its honourees counted up to RARE),
    at one version of the roll: cached per process, so that a word asked again before the
    roll changes costs no dictionary lookup and no count."""

    at: tuple[str, int] | None = None
    words: dict[str, tuple[list[str], int]] = field(default_factory=dict)


_lookups = _Lookups()
_LOOKUPS_MAX = 4096


async def _words(conn: Queryable, words: tuple[str, ...]) -> list[_Word]:
    # The roll's words only grow, and every change bumps the version: a lookup
    # made at this version, or later, names every word that a read at this
    # version can find (as a lookup made just before the search would).
    at = await roll_version(conn)
    if _lookups.at != at or len(_lookups.words) >= _LOOKUPS_MAX:
        _lookups.at = at
        _lookups.words = {}
    # This version's: a lookup still running when the version moves on lands in a dropped dict.
    cache = _lookups.words
    missing = [w for w in words if w not in cache]
    if missing:
        rows = await conn.fetch(
            """SELECT x.tokens,
                      (SELECT count(*) FROM (SELECT 1 FROM roll_words w WHERE w.word = ANY(x.tokens) LIMIT $2) s) AS n
               FROM unnest($1::text[]) WITH ORDINALITY AS p (pattern, i)
               CROSS JOIN LATERAL (SELECT coalesce(array_agg(t.token ORDER BY t.token), '{}') AS tokens
                                   FROM roll_tokens t WHERE t.token LIKE p.pattern) x
               ORDER BY p.i""",
            [token_pattern(w) for w in missing],
            RARE,
        )
        for word, r in zip(missing, rows, strict=True):
            cache[word] = (list(r["tokens"]), int(r["n"]))
    looked = [cache[w] for w in words]
    stats = await _stats(conn) if any(n >= RARE for _, n in looked) else None
    found = []
    for word, (tokens, counted) in zip(words, looked, strict=True):
        n = float(counted)
        if stats is not None and n >= RARE and stats.freqs is not None:
            n = max(n, stats.words * sum(stats.freqs.get(t, stats.floor) for t in tokens))
        found.append(_Word(word, tokens, n))
    return found


async def search(
    conn: Queryable,
    f: RollFilter,
    subtree: Subtree | None,
    after: RollKey | None,
    limit: int,
    plan: str | None,
) -> list[asyncpg.Record]:
    """A page of the rows of ROLL_COLUMNS that match every word of `f` and its filters.

    `plan` forces one way of reading it (tests compare them); by default the cheapest is chosen.
    """
    words = await _words(conn, f.words)
    if any(w.rows == 0 for w in words):
        return []  # a word that is nowhere on the roll
    driver = min(words, key=lambda w: (w.rows, len(w.tokens)))
    others = tuple(w.word for w in words if w is not driver)
    if plan is None:
        plan = await _choose(conn, f, subtree, words, driver, limit)
    args: list[Any] = []
    # The page's keys found in roll_words alone (an index-only scan: its key
    # INCLUDEs the filters' columns and the folded text), then its rows read.
    page = f"""SELECT {ROLL_COLUMNS} FROM m JOIN honorees h ON h.award_id = m.award_id
               LEFT JOIN ceremonies c ON c.id = h.ceremony_id {ORDER}"""
    if plan in ("rare", "streams"):
        # The driver's words' ranges of roll_words, read with the rest of the query.
        args.append(driver.tokens)
        cursor = keyset(args, after, "w") + kind_range(args, f)
        cond = where(f, args, subtree, others, alias="w")
        args.append(limit)
        if plan == "rare":
            sql = f"""WITH m AS MATERIALIZED (
                          SELECT DISTINCT w.sort_group, w.sort_key, w.award_id FROM roll_words w
                          WHERE w.word = ANY($1::text[]){cursor} AND {cond}
                          ORDER BY w.sort_group, w.sort_key, w.award_id LIMIT ${len(args)})
                      {page}"""
        else:
            # For each of the driver's words, its first `limit` honourees in the
            # roll's order that pass the rest of the query: the page is among them.
            sql = f"""WITH m AS MATERIALIZED (
                          SELECT DISTINCT w.sort_group, w.sort_key, w.award_id
                          FROM unnest($1::text[]) AS t (word)
                          CROSS JOIN LATERAL (
                              SELECT w.sort_group, w.sort_key, w.award_id FROM roll_words w
                              WHERE w.word = t.word{cursor} AND {cond}
                              ORDER BY w.sort_group, w.sort_key, w.award_id LIMIT ${len(args)}) w
                          ORDER BY w.sort_group, w.sort_key, w.award_id LIMIT ${len(args)})
                      {page}"""
    elif plan == "walk":
        # The roll (or a filter's ordered index) walked in order, each row
        # checked: the text is searched as an expression, which keeps the
        # planner off the trigram index and on the ordered one.
        cond = where(f, args, subtree, search="(h.search || '')") + keyset(args, after)
        args.append(limit)
        sql = f"""SELECT {ROLL_COLUMNS} FROM honorees h LEFT JOIN ceremonies c ON c.id = h.ceremony_id
                  WHERE {cond} {ORDER} LIMIT ${len(args)}"""
    elif plan == "filter":
        cond = where(RollFilter(**f.fields()), args, subtree) + keyset(args, after)
        match = where(RollFilter(words=f.words), args, None)
        args.append(limit)
        sql = f"""WITH m AS MATERIALIZED (SELECT h.* FROM honorees h WHERE {cond})
                  SELECT {ROLL_COLUMNS} FROM m h LEFT JOIN ceremonies c ON c.id = h.ceremony_id
                  WHERE {match} {ORDER} LIMIT ${len(args)}"""
    elif plan == "sort":
        cond = where(f, args, subtree) + keyset(args, after)
        args.append(limit)
        sql = f"""WITH m AS MATERIALIZED (SELECT h.* FROM honorees h WHERE {cond})
                  SELECT {ROLL_COLUMNS} FROM m h LEFT JOIN ceremonies c ON c.id = h.ceremony_id
                  {ORDER} LIMIT ${len(args)}"""
    else:
        raise ValueError(f"no plan {plan!r}")
    return await conn.fetch(sql, *args)


# Reading an index entry of roll_words in order costs about this share of
# reading a scattered row of `honorees`.
_INDEX_TUPLE = 0.03


async def _choose(
    conn: Queryable,
    f: RollFilter,
    subtree: Subtree | None,
    words: list[_Word],
    driver: _Word,
    limit: int,
) -> str:
    if driver.rows < RARE:
        return "rare"
    stats = await _stats(conn)
    total = max(stats.honorees, driver.rows)
    filtered = total
    costs: dict[str, float] = {}
    if f.has_filters():
        # Counted through the filters' indexes alone: a subtree's share is
        # taken from its share of the units (counting it would read the rows).
        args: list[Any] = []
        cond = where(RollFilter(**{**f.fields(), "unit_id": None}), args, None)
        args.append(FEW_FILTERED)
        counted = float(
            await conn.fetchval(
                f"SELECT count(*) FROM (SELECT 1 FROM honorees h WHERE {cond} LIMIT ${len(args)}) s", *args
            )
        )
        if counted >= FEW_FILTERED:
            counted = max(counted, total * _filter_share(RollFilter(**{**f.fields(), "unit_id": None})))
        filtered = counted * (subtree.share if subtree is not None else 1.0)
        costs["filter"] = filtered  # every row the filters leave, read and checked
    # The share of the driver's rows that pass the rest of the query (as if independent);
    # the kind is part of the ranges read, not a filter on them.
    share = min(filtered / total / (0.5 if f.kind is not None else 1.0), 1.0)
    word_share = 1.0
    for w in words:
        word_share *= min(w.rows / total, 1.0)
        if w is not driver:
            share *= min(w.rows / total, 1.0)
    share = max(share, 1e-9)
    matches = driver.rows * share
    # Index entries read by the streams: each word of the driver's until
    # `limit` pass, or its range ends; then the page's rows.
    per_token = [
        stats.words * stats.freqs.get(t, stats.floor) if stats.freqs is not None else driver.rows / len(driver.tokens)
        for t in driver.tokens
    ]
    costs["streams"] = sum(min(n, limit / share) for n in per_token) * _INDEX_TUPLE + limit
    costs["rare"] = driver.rows * _INDEX_TUPLE * 1.5 + limit
    # The walk reads rows in the order of the most selective ordered index of
    # a filter (or of the roll), checking the others and the words on each.
    ordered = f.campaign_id is not None or f.category_id is not None or f.year is not None
    unchecked = (subtree.share if subtree is not None else 1.0) if ordered else filtered / total
    costs["walk"] = min(filtered, limit / max(word_share * unchecked, 1e-9))
    # The sort: every match, plus its bitmaps (a fixed cost and a share of the word's rows).
    costs["sort"] = 3000 + 2 * matches + driver.rows / 20
    return min(costs, key=lambda plan: costs[plan])


def _filter_share(f: RollFilter) -> float:
    """A rough share of the roll that broad filters leave (only for choosing a plan)."""
    share = 1.0
    if f.year is not None:
        share *= 0.1
    if f.kind is not None:
        share *= 0.5
    if f.unit_id is not None:
        share *= 0.1
    return share
