"""All SQL of the events service: the honour roll (a read model), campaigns as
the awards service announced them, ceremonies, and the roll's version.

Every change that a public answer could show bumps the roll's version in the
same transaction and announces it (NOTIFY roll_changed), so that cached
answers keyed by the version are never served stale for long.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from shared import events, outbox
from shared.problems import FieldError, Problem, conflict, not_found
from shared.text import nfc

from .collation import sort_group, sort_key
from .schemas import (
    CampaignRef,
    CategoryCount,
    CategoryRef,
    Ceremony,
    CeremonyRef,
    Counts,
    Honoree,
    KindCounts,
    UnitRef,
)

PRODUCER = "events"
NOTIFY_CHANNEL = "roll_changed"


# ------------------------------------------------------------ roll version
async def bump_version(conn: asyncpg.Connection) -> int:
    """Mark the roll changed; call inside the transaction that changed it."""
    version = await conn.fetchval("UPDATE roll_state SET version = version + 1 RETURNING version")
    await conn.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL, str(version))
    return int(version)


async def roll_version(conn: asyncpg.Connection | asyncpg.Pool) -> tuple[str, int]:
    row = await conn.fetchrow("SELECT epoch, version FROM roll_state")
    return row["epoch"], int(row["version"])


# --------------------------------------------------------------- campaigns
async def apply_campaign(conn: asyncpg.Connection, env: events.Envelope) -> bool:
    data = env.data
    assert isinstance(data, events.CampaignState)
    categories = [{"id": str(c.id), "name": nfc(c.name), "nominee_kind": c.nominee_kind, "form": c.form} for c in data.categories]
    changed = await conn.fetchval(
        """INSERT INTO campaigns (id, code, name, year, organizer_unit_id, status, categories, version)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (id) DO UPDATE
               SET code = EXCLUDED.code, name = EXCLUDED.name, year = EXCLUDED.year,
                   organizer_unit_id = EXCLUDED.organizer_unit_id, status = EXCLUDED.status,
                   categories = EXCLUDED.categories, version = EXCLUDED.version, updated_at = now()
               WHERE campaigns.version < EXCLUDED.version
           RETURNING true""",
        data.id, data.code, nfc(data.name), data.year, data.organizer_unit_id, data.status, categories, env.version,
    )
    if not changed:
        return False
    # The roll shows a campaign and its categories under their current names.
    await conn.execute(
        """UPDATE honorees SET campaign_name = $2, year = $3, updated_at = now()
           WHERE campaign_id = $1 AND (campaign_name, year) IS DISTINCT FROM ($2, $3)""",
        data.id, nfc(data.name), data.year,
    )
    await conn.execute(
        """UPDATE honorees h SET category_name = c.name, updated_at = now()
           FROM jsonb_to_recordset($2::jsonb) AS c (id uuid, name text)
           WHERE h.campaign_id = $1 AND h.category_id = c.id AND h.category_name IS DISTINCT FROM c.name""",
        data.id, categories,
    )
    await bump_version(conn)  # the campaign filters of the page change too
    return True


# ------------------------------------------------------------------ awards
async def apply_award_granted(conn: asyncpg.Connection, env: events.Envelope) -> bool:
    d = env.data
    assert isinstance(d, events.AwardGranted)
    name = nfc(d.name)
    # The local copies are newer than, or as new as, what the award carried,
    # or they will be: a pending rename reaches every row when it arrives.
    current = await conn.fetchrow(
        """SELECT (SELECT name FROM units WHERE id = $1) AS unit_name,
                  c.name AS campaign_name, c.year,
                  (SELECT x->>'name' FROM jsonb_array_elements(c.categories) x WHERE x->>'id' = $3::text) AS category_name
           FROM (SELECT 1) one LEFT JOIN campaigns c ON c.id = $2""",
        d.unit_id, d.campaign_id, str(d.category_id),
    )
    ceremony_id = await conn.fetchval(
        """SELECT id FROM ceremonies
           WHERE status = 'held' AND $1::uuid = ANY(campaign_ids) AND held_on >= $2
           ORDER BY held_on, id LIMIT 1""",
        d.campaign_id, d.decision_date,
    )
    changed = await conn.fetchval(
        """INSERT INTO honorees (award_id, version, status, kind, name, unit_id, unit_name, campaign_id,
                                 campaign_name, year, category_id, category_name, form, decision_number,
                                 decision_date, ceremony_id, sort_group, sort_key, granted_at)
           VALUES ($1, $2, 'granted', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
           ON CONFLICT (award_id) DO UPDATE
               SET version = EXCLUDED.version, status = 'granted', kind = EXCLUDED.kind, name = EXCLUDED.name,
                   unit_id = EXCLUDED.unit_id, unit_name = EXCLUDED.unit_name,
                   campaign_id = EXCLUDED.campaign_id, campaign_name = EXCLUDED.campaign_name,
                   year = EXCLUDED.year, category_id = EXCLUDED.category_id,
                   category_name = EXCLUDED.category_name, form = EXCLUDED.form,
                   decision_number = EXCLUDED.decision_number, decision_date = EXCLUDED.decision_date,
                   ceremony_id = COALESCE(honorees.ceremony_id, EXCLUDED.ceremony_id),
                   sort_group = EXCLUDED.sort_group, sort_key = EXCLUDED.sort_key,
                   granted_at = EXCLUDED.granted_at, updated_at = now()
               WHERE honorees.version < EXCLUDED.version
           RETURNING true""",
        d.award_id, env.version, d.kind, name, d.unit_id,
        current["unit_name"] or nfc(d.unit_name),
        d.campaign_id, current["campaign_name"] or nfc(d.campaign_name), current["year"] or d.year,
        d.category_id, current["category_name"] or nfc(d.category_name), nfc(d.form),
        nfc(d.decision_number), d.decision_date, ceremony_id,
        sort_group(d.kind), sort_key(name, d.kind), d.granted_at or env.occurred_at,
    )
    if changed:
        await bump_version(conn)
    return bool(changed)


async def apply_award_revoked(conn: asyncpg.Connection, env: events.Envelope) -> bool:
    d = env.data
    assert isinstance(d, events.AwardRevoked)
    # A revoke that arrives before its grant leaves a tombstone that the
    # older grant, when it comes, cannot overwrite.
    changed = await conn.fetchval(
        """INSERT INTO honorees (award_id, version, status) VALUES ($1, $2, 'revoked')
           ON CONFLICT (award_id) DO UPDATE
               SET version = EXCLUDED.version, status = 'revoked', updated_at = now()
               WHERE honorees.version < EXCLUDED.version
           RETURNING true""",
        d.award_id, env.version,
    )
    if changed:
        await bump_version(conn)
    return bool(changed)


async def apply_unit_changed(conn: asyncpg.Connection, unit_id: uuid.UUID) -> int:
    """After the unit copy changed: every row of that unit shows its current name."""
    status = await conn.execute(
        """UPDATE honorees h SET unit_name = u.name, updated_at = now()
           FROM units u WHERE u.id = $1 AND h.unit_id = u.id AND h.unit_name IS DISTINCT FROM u.name""",
        unit_id,
    )
    count = int(status.split()[-1])
    if count:
        await bump_version(conn)
    return count


# -------------------------------------------------------------- the roll
@dataclass(frozen=True, slots=True)
class RollFilter:
    campaign_id: uuid.UUID | None = None
    year: int | None = None
    unit_id: uuid.UUID | None = None
    kind: str | None = None
    category_id: uuid.UUID | None = None
    ceremony_id: uuid.UUID | None = None
    words: tuple[str, ...] = ()  # folded search words; each must appear


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Words this long are found anywhere in a name through the trigram index;
# shorter ones have no trigram, and match the start of a word ("an" finds
# "An" and "Anh", not "Lan"), which is what a person typing two letters means.
TRIGRAM = 3


@dataclass(frozen=True, slots=True)
class _Subtree:
    ids: list[uuid.UUID]
    sparse: bool  # few of all units: fetch its rows by unit and sort them, rather than walk the roll in order
    share: float  # its share of all units (roughly, of the roll)


async def _subtree(conn: asyncpg.Connection | asyncpg.Pool, unit_id: uuid.UUID) -> _Subtree:
    row = await conn.fetchrow(
        """SELECT ARRAY(SELECT d.id FROM units d WHERE d.path <@ (SELECT a.path FROM units a WHERE a.id = $1)) AS ids,
                  (SELECT count(*) FROM units) AS total""",
        unit_id,
    )
    ids = list(row["ids"]) or [unit_id]
    share = min(len(ids) / max(row["total"], 1), 1.0)
    return _Subtree(ids=ids, sparse=share < 0.02, share=share)


def _where(
    f: RollFilter, args: list[Any], subtree: _Subtree | None, words: tuple[str, ...] | None = None, *,
    alias: str = "h", search: str | None = None,
) -> str:
    """The roll's conditions on `alias`: the filters and `words` (by default every word of the query).

    On `w` (roll_words, which holds granted honourees only) they read its copies
    of the honouree's attributes; `search` replaces the expression searched.
    """
    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    a = alias
    text = search or f"{a}.search"
    conds = ["h.status = 'granted'"] if a == "h" else ["true"]
    if f.campaign_id is not None:
        conds.append(f"{a}.campaign_id = {arg(f.campaign_id)}")
    if f.year is not None:
        conds.append(f"{a}.year = {arg(f.year)}")
    if f.kind is not None:
        conds.append(f"{a}.sort_group = {arg(sort_group(f.kind))}")
    if f.category_id is not None:
        conds.append(f"{a}.category_id = {arg(f.category_id)}")
    if f.ceremony_id is not None:
        conds.append(f"{a}.ceremony_id = {arg(f.ceremony_id)}")
    if subtree is not None:
        conds.append(f"{a}.unit_id = ANY({arg(subtree.ids)}::uuid[])")
    for word in f.words if words is None else words:
        if len(word) >= TRIGRAM:
            conds.append(f"{text} LIKE {arg('%' + _escape(word) + '%')}")
        else:
            conds.append(f"({text} LIKE {arg(_escape(word) + '%')} OR {text} LIKE {arg('% ' + _escape(word) + '%')})")
    return " AND ".join(conds)


def _has_filters(f: RollFilter) -> bool:
    return any(v is not None for v in (f.campaign_id, f.year, f.unit_id, f.kind, f.category_id, f.ceremony_id))


_ROLL_COLUMNS = """h.award_id, h.kind, h.name, h.unit_id, h.unit_name, h.campaign_id, h.campaign_name, h.year,
    h.category_id, h.category_name, h.form, h.decision_number, h.decision_date,
    h.ceremony_id, c.title AS ceremony_title, c.held_on AS ceremony_held_on, c.venue AS ceremony_venue,
    h.sort_group, h.sort_key"""
_ORDER = "ORDER BY h.sort_group, h.sort_key, h.award_id"

RollKey = tuple[int, str, uuid.UUID]


def _honoree(r: asyncpg.Record) -> Honoree:
    return Honoree(
        award_id=r["award_id"],
        kind=r["kind"],
        name=r["name"],
        unit_id=r["unit_id"],
        unit_name=r["unit_name"],
        campaign=CampaignRef(id=r["campaign_id"], name=r["campaign_name"], year=r["year"]),
        category=CategoryRef(id=r["category_id"], name=r["category_name"]),
        form=r["form"],
        decision_number=r["decision_number"],
        decision_date=r["decision_date"],
        ceremony=CeremonyRef(id=r["ceremony_id"], title=r["ceremony_title"], held_on=r["ceremony_held_on"],
                             venue=r["ceremony_venue"]) if r["ceremony_id"] else None,
    )


def _after(args: list[Any], after: RollKey | None, alias: str = "h") -> str:
    if after is None:
        return ""
    args.extend(after)
    n = len(args)
    return f" AND ({alias}.sort_group, {alias}.sort_key, {alias}.award_id) > (${n - 2}::smallint, ${n - 1}, ${n}::uuid)"


async def list_honorees(
    conn: asyncpg.Connection | asyncpg.Pool, f: RollFilter, after: RollKey | None, limit: int, *, plan: str | None = None
) -> list[tuple[Honoree, RollKey]]:
    """A page of the roll in Vietnamese reading order; each row with its keyset key.

    `plan` forces one way of reading a q= search (tests compare them); by
    default the cheapest is chosen.
    """
    subtree = await _subtree(conn, f.unit_id) if f.unit_id is not None else None
    if f.words:
        rows = await _search(conn, f, subtree, after, limit, plan)
    else:
        args: list[Any] = []
        where = _where(f, args, subtree) + _after(args, after)
        args.append(limit)
        if subtree is not None and subtree.sparse:
            # Found through the unit index, then sorted: walking the roll in order
            # would read most of it first, a small part of the tree being spread thinly.
            sql = f"""WITH m AS MATERIALIZED (SELECT h.* FROM honorees h WHERE {where})
                      SELECT {_ROLL_COLUMNS} FROM m h LEFT JOIN ceremonies c ON c.id = h.ceremony_id
                      {_ORDER} LIMIT ${len(args)}"""
        else:
            sql = f"""SELECT {_ROLL_COLUMNS} FROM honorees h LEFT JOIN ceremonies c ON c.id = h.ceremony_id
                      WHERE {where} {_ORDER} LIMIT ${len(args)}"""
        rows = await conn.fetch(sql, *args)
    return [(_honoree(r), (r["sort_group"], r["sort_key"], r["award_id"])) for r in rows]


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
PLANS = ("rare", "filter", "streams", "walk", "sort")
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


async def _stats(conn: asyncpg.Connection | asyncpg.Pool) -> _WordStats:
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


async def _words(conn: asyncpg.Connection | asyncpg.Pool, words: tuple[str, ...]) -> list[_Word]:
    patterns = [("%" + _escape(w) + "%") if len(w) >= TRIGRAM else (_escape(w) + "%") for w in words]
    rows = await conn.fetch(
        """SELECT x.tokens,
                  (SELECT count(*) FROM (SELECT 1 FROM roll_words w WHERE w.word = ANY(x.tokens) LIMIT $2) s) AS n
           FROM unnest($1::text[]) WITH ORDINALITY AS p (pattern, i)
           CROSS JOIN LATERAL (SELECT coalesce(array_agg(t.token ORDER BY t.token), '{}') AS tokens
                               FROM roll_tokens t WHERE t.token LIKE p.pattern) x
           ORDER BY p.i""",
        patterns, RARE,
    )
    stats = await _stats(conn) if any(r["n"] >= RARE for r in rows) else None
    found = []
    for word, r in zip(words, rows, strict=True):
        n = float(r["n"])
        if stats is not None and n >= RARE and stats.freqs is not None:
            n = max(n, stats.words * sum(stats.freqs.get(t, stats.floor) for t in r["tokens"]))
        found.append(_Word(word, r["tokens"], n))
    return found


async def _search(
    conn: asyncpg.Connection | asyncpg.Pool, f: RollFilter, subtree: _Subtree | None, after: RollKey | None,
    limit: int, plan: str | None,
) -> list[asyncpg.Record]:
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
    page = f"""SELECT {_ROLL_COLUMNS} FROM m JOIN honorees h ON h.award_id = m.award_id
               LEFT JOIN ceremonies c ON c.id = h.ceremony_id {_ORDER}"""
    if plan == "rare":
        args.append(driver.tokens)
        cursor = _after(args, after, "w") + _kind(args, f)
        where = _where(f, args, subtree, others, alias="w")
        args.append(limit)
        sql = f"""WITH m AS MATERIALIZED (
                      SELECT DISTINCT w.sort_group, w.sort_key, w.award_id FROM roll_words w
                      WHERE w.word = ANY($1::text[]){cursor} AND {where}
                      ORDER BY w.sort_group, w.sort_key, w.award_id LIMIT ${len(args)})
                  {page}"""
    elif plan == "streams":
        args.append(driver.tokens)
        cursor = _after(args, after, "w") + _kind(args, f)
        where = _where(f, args, subtree, others, alias="w")
        args.append(limit)
        # For each of the driver's words, its first `limit` honourees in the
        # roll's order that pass the rest of the query: the page is among them.
        sql = f"""WITH m AS MATERIALIZED (
                      SELECT DISTINCT w.sort_group, w.sort_key, w.award_id
                      FROM unnest($1::text[]) AS t (word)
                      CROSS JOIN LATERAL (
                          SELECT w.sort_group, w.sort_key, w.award_id FROM roll_words w
                          WHERE w.word = t.word{cursor} AND {where}
                          ORDER BY w.sort_group, w.sort_key, w.award_id LIMIT ${len(args)}) w
                      ORDER BY w.sort_group, w.sort_key, w.award_id LIMIT ${len(args)})
                  {page}"""
    elif plan == "walk":
        # The roll (or a filter's ordered index) walked in order, each row
        # checked: the text is searched as an expression, which keeps the
        # planner off the trigram index and on the ordered one.
        where = _where(f, args, subtree, search="(h.search || '')") + _after(args, after)
        args.append(limit)
        sql = f"""SELECT {_ROLL_COLUMNS} FROM honorees h LEFT JOIN ceremonies c ON c.id = h.ceremony_id
                  WHERE {where} {_ORDER} LIMIT ${len(args)}"""
    elif plan == "filter":
        where = _where(RollFilter(**{**_filter_fields(f), "words": ()}), args, subtree) + _after(args, after)
        match = _where(RollFilter(words=f.words), args, None)
        args.append(limit)
        sql = f"""WITH m AS MATERIALIZED (SELECT h.* FROM honorees h WHERE {where})
                  SELECT {_ROLL_COLUMNS} FROM m h LEFT JOIN ceremonies c ON c.id = h.ceremony_id
                  WHERE {match} {_ORDER} LIMIT ${len(args)}"""
    elif plan == "sort":
        where = _where(f, args, subtree) + _after(args, after)
        args.append(limit)
        sql = f"""WITH m AS MATERIALIZED (SELECT h.* FROM honorees h WHERE {where})
                  SELECT {_ROLL_COLUMNS} FROM m h LEFT JOIN ceremonies c ON c.id = h.ceremony_id
                  {_ORDER} LIMIT ${len(args)}"""
    else:
        raise ValueError(f"no plan {plan!r}")
    return await conn.fetch(sql, *args)


def _kind(args: list[Any], f: RollFilter) -> str:
    """The kind filter as part of the word index's range (sort_group is its second column)."""
    if f.kind is None:
        return ""
    args.append(sort_group(f.kind))
    return f" AND w.sort_group = ${len(args)}::smallint"


def _filter_fields(f: RollFilter) -> dict[str, Any]:
    return {name: getattr(f, name) for name in ("campaign_id", "year", "unit_id", "kind", "category_id", "ceremony_id")}


# Reading an index entry of roll_words in order costs about this share of
# reading a scattered row of `honorees`.
_INDEX_TUPLE = 0.03


async def _choose(
    conn: asyncpg.Connection | asyncpg.Pool, f: RollFilter, subtree: _Subtree | None, words: list[_Word],
    driver: _Word, limit: int,
) -> str:
    if driver.rows < RARE:
        return "rare"
    stats = await _stats(conn)
    total = max(stats.honorees, driver.rows)
    filtered = total
    costs: dict[str, float] = {}
    if _has_filters(f):
        # Counted through the filters' indexes alone: a subtree's share is
        # taken from its share of the units (counting it would read the rows).
        args: list[Any] = []
        where = _where(RollFilter(**{**_filter_fields(f), "unit_id": None}), args, None)
        args.append(FEW_FILTERED)
        counted = float(await conn.fetchval(
            f"SELECT count(*) FROM (SELECT 1 FROM honorees h WHERE {where} LIMIT ${len(args)}) s", *args))
        if counted >= FEW_FILTERED:
            counted = max(counted, total * _filter_share(RollFilter(**{**_filter_fields(f), "unit_id": None})))
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


async def iter_honorees(pool: asyncpg.Pool, f: RollFilter, batch: int = 2000) -> AsyncIterator[list[Honoree]]:
    """The whole filtered roll, batch by batch (for the CSV export)."""
    after: RollKey | None = None
    while True:
        rows = await list_honorees(pool, f, after, batch)
        if rows:
            yield [h for h, _ in rows]
        if len(rows) < batch:
            return
        after = rows[-1][1]


def _counts(rows: list[asyncpg.Record]) -> Counts:
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


async def stats(conn: asyncpg.Connection | asyncpg.Pool, f: RollFilter) -> Counts:
    subtree = await _subtree(conn, f.unit_id) if f.unit_id is not None else None
    args: list[Any] = []
    where = _where(f, args, subtree)
    rows = await conn.fetch(
        f"SELECT {_COUNT_COLUMNS} FROM honorees h WHERE {where} GROUP BY {_COUNT_GROUP} ORDER BY {_COUNT_ORDER}", *args
    )
    return _counts(rows)


async def campaign_exists(conn: asyncpg.Connection | asyncpg.Pool, campaign_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT true FROM campaigns WHERE id = $1", campaign_id))


async def unit_exists(conn: asyncpg.Connection | asyncpg.Pool, unit_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT true FROM units WHERE id = $1", unit_id))


async def category_exists(conn: asyncpg.Connection | asyncpg.Pool, category_id: uuid.UUID) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT true FROM campaigns, jsonb_array_elements(categories) x WHERE x->>'id' = $1 LIMIT 1",
            str(category_id),
        )
    )


async def ceremony_exists(conn: asyncpg.Connection | asyncpg.Pool, ceremony_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT true FROM ceremonies WHERE id = $1", ceremony_id))


async def unit_name(conn: asyncpg.Connection | asyncpg.Pool, unit_id: uuid.UUID) -> str | None:
    return await conn.fetchval("SELECT name FROM units WHERE id = $1", unit_id)


async def campaigns(conn: asyncpg.Connection | asyncpg.Pool) -> list[CampaignRef]:
    rows = await conn.fetch("SELECT id, name, year FROM campaigns ORDER BY year DESC, name, id")
    return [CampaignRef(id=r["id"], name=r["name"], year=r["year"]) for r in rows]


# -------------------------------------------------------------- ceremonies
_CEREMONY_COLUMNS = """c.id, c.title, c.held_on, c.venue, c.host_unit_id, u.name AS host_unit_name,
    c.campaign_ids, c.status, c.held_at, c.created_at, c.version"""


async def _ceremonies(conn: asyncpg.Connection | asyncpg.Pool, rows: list[asyncpg.Record]) -> list[Ceremony]:
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    campaign_ids = list({cid for r in rows for cid in r["campaign_ids"]})
    known = {
        r["id"]: CampaignRef(id=r["id"], name=r["name"], year=r["year"])
        for r in await conn.fetch("SELECT id, name, year FROM campaigns WHERE id = ANY($1::uuid[])", campaign_ids)
    }
    # Held: the honourees stamped with it. Planned: those it is to present.
    count_rows = await conn.fetch(
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
        ids,
    )
    per: dict[uuid.UUID, list[asyncpg.Record]] = {i: [] for i in ids}
    for r in count_rows:
        per[r["ceremony"]].append(r)
    return [
        Ceremony(
            id=r["id"],
            title=r["title"],
            held_on=r["held_on"],
            venue=r["venue"],
            host_unit=UnitRef(id=r["host_unit_id"], name=r["host_unit_name"]),
            campaigns=[known.get(cid) or CampaignRef(id=cid, name="", year=0) for cid in r["campaign_ids"]],
            status=r["status"],
            held_at=r["held_at"],
            created_at=r["created_at"],
            honorees=_counts(per[r["id"]]),
        )
        for r in rows
    ]


async def get_ceremony(conn: asyncpg.Connection | asyncpg.Pool, ceremony_id: uuid.UUID) -> Ceremony:
    row = await conn.fetchrow(
        f"SELECT {_CEREMONY_COLUMNS} FROM ceremonies c LEFT JOIN units u ON u.id = c.host_unit_id WHERE c.id = $1",
        ceremony_id,
    )
    if row is None:
        raise not_found("ceremony", ceremony_id)
    return (await _ceremonies(conn, [row]))[0]


CeremonyKey = tuple[date, uuid.UUID]


async def list_ceremonies(
    conn: asyncpg.Connection | asyncpg.Pool,
    *,
    campaign_id: uuid.UUID | None,
    year: int | None,
    status: str | None,
    after: CeremonyKey | None,
    limit: int,
) -> list[tuple[Ceremony, CeremonyKey]]:
    """Newest first."""
    rows = await conn.fetch(
        f"""SELECT {_CEREMONY_COLUMNS} FROM ceremonies c LEFT JOIN units u ON u.id = c.host_unit_id
            WHERE ($1::uuid IS NULL OR $1 = ANY(c.campaign_ids))
              AND ($2::int IS NULL OR extract(year FROM c.held_on) = $2)
              AND ($3::text IS NULL OR c.status = $3)
              AND ($4::date IS NULL OR (c.held_on, c.id) < ($4, $5::uuid))
            ORDER BY c.held_on DESC, c.id DESC LIMIT $6""",
        campaign_id, year, status, after[0] if after else None, after[1] if after else None, limit,
    )
    found = await _ceremonies(conn, rows)
    return [(c, (c.held_on, c.id)) for c in found]


def _ceremony_event(cls: type[events.CeremonyState], row: asyncpg.Record, **extra: Any) -> events.CeremonyState:
    return cls(
        id=row["id"], title=row["title"], held_on=row["held_on"], venue=row["venue"],
        host_unit_id=row["host_unit_id"], campaign_ids=tuple(row["campaign_ids"]), status=row["status"], **extra,
    )


async def create_ceremony(
    conn: asyncpg.Connection,
    *,
    title: str,
    held_on: date,
    venue: str,
    host_unit_id: uuid.UUID,
    campaign_ids: list[uuid.UUID],
    created_by: uuid.UUID,
) -> Ceremony:
    errors: list[FieldError] = []
    if not await unit_exists(conn, host_unit_id):
        errors.append(FieldError("host_unit_id", f"no unit {host_unit_id} is known here"))
    unique = list(dict.fromkeys(campaign_ids))
    known = {r["id"] for r in await conn.fetch("SELECT id FROM campaigns WHERE id = ANY($1::uuid[])", unique)}
    for i, cid in enumerate(campaign_ids):
        if cid not in known:
            errors.append(FieldError(f"campaign_ids[{i}]", f"no campaign {cid} is known here"))
    if errors:
        raise Problem(400, "; ".join(e.message for e in errors), errors=errors)
    async with conn.transaction():
        row = await conn.fetchrow(
            """INSERT INTO ceremonies (id, title, held_on, venue, host_unit_id, campaign_ids, created_by)
               VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *""",
            uuid.uuid4(), title, held_on, venue, host_unit_id, unique, created_by,
        )
        await outbox.emit(conn, _ceremony_event(events.CeremonyCreated, row), producer=PRODUCER,
                          aggregate_id=row["id"], version=row["version"])
    return await get_ceremony(conn, row["id"])


async def hold_ceremony(conn: asyncpg.Connection, ceremony_id: uuid.UUID, today: date, now: datetime) -> Ceremony:
    async with conn.transaction():
        row = await conn.fetchrow("SELECT * FROM ceremonies WHERE id = $1 FOR UPDATE", ceremony_id)
        if row is None:
            raise not_found("ceremony", ceremony_id)
        if row["status"] == "held":
            raise conflict("the ceremony has already been held", "status")
        if row["held_on"] > today:
            raise conflict(f"the ceremony is planned for {row['held_on'].isoformat()}; it can be held from that day on", "held_on")
        row = await conn.fetchrow(
            """UPDATE ceremonies SET status = 'held', held_at = $2, version = version + 1
               WHERE id = $1 RETURNING *""",
            ceremony_id, now,
        )
        # Each honouree it presented carries it from now on; one presented at an
        # earlier ceremony keeps that one.
        stamped = await conn.execute(
            """UPDATE honorees SET ceremony_id = $1, updated_at = now()
               WHERE campaign_id = ANY($2::uuid[]) AND status = 'granted' AND ceremony_id IS NULL
                 AND decision_date <= $3""",
            ceremony_id, row["campaign_ids"], row["held_on"],
        )
        count = int(stamped.split()[-1])
        await bump_version(conn)
        await outbox.emit(conn, _ceremony_event(events.CeremonyHeld, row, held_at=now, honoree_count=count),
                          producer=PRODUCER, aggregate_id=row["id"], version=row["version"])
    return await get_ceremony(conn, ceremony_id)
