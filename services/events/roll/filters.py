"""The roll's filters and keyset as SQL: what the plain listing (queries.py)
and the q= search in PostgreSQL (search.py) both put in their WHERE clauses.

Every listing is keyset-ordered by (sort_group, sort_key, award_id), the
Vietnamese reading order (collation.py), which each ordered index of the roll
holds; a page's cursor is the last row's key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from shared.db import Queryable
from shared.text import escape_like

from ..domain import TRIGRAM, Kind
from .collation import sort_group
from .schemas import CampaignRef, CategoryRef, CeremonyRef, Honoree

RollKey = tuple[int, str, uuid.UUID]


@dataclass(frozen=True, slots=True)
class RollFilter:
    campaign_id: uuid.UUID | None = None
    year: int | None = None
    unit_id: uuid.UUID | None = None
    kind: Kind | None = None
    category_id: uuid.UUID | None = None
    ceremony_id: uuid.UUID | None = None
    words: tuple[str, ...] = ()  # folded search words; each must appear

    def fields(self) -> dict[str, Any]:
        """The filters without the words."""
        return {name: getattr(self, name) for name in FILTERS}

    def has_filters(self) -> bool:
        return any(getattr(self, name) is not None for name in FILTERS)


FILTERS = ("campaign_id", "year", "unit_id", "kind", "category_id", "ceremony_id")


@dataclass(frozen=True, slots=True)
class Subtree:
    ids: list[uuid.UUID]
    sparse: bool  # few of all units: fetch its rows by unit and sort them, rather than walk the roll in order
    share: float  # its share of all units (roughly, of the roll)


async def subtree(conn: Queryable, unit_id: uuid.UUID | None) -> Subtree | None:
    """The units a unit filter takes: the unit and every unit below it."""
    if unit_id is None:
        return None
    row = await conn.fetchrow(
        """SELECT ARRAY(SELECT d.id FROM units d WHERE d.path <@ (SELECT a.path FROM units a WHERE a.id = $1)) AS ids,
                  (SELECT count(*) FROM units) AS total""",
        unit_id,
    )
    ids = list(row["ids"]) or [unit_id]
    share = min(len(ids) / max(row["total"], 1), 1.0)
    return Subtree(ids=ids, sparse=share < 0.02, share=share)


def token_pattern(word: str) -> str:
    """The LIKE pattern of the words that a search word matches (domain.word_matches)."""
    return "%" + escape_like(word) + "%" if len(word) >= TRIGRAM else escape_like(word) + "%"


def where(
    f: RollFilter,
    args: list[Any],
    subtree: Subtree | None,
    words: tuple[str, ...] | None = None,
    *,
    search: str | None = None,
    public: bool = True,
) -> str:
    """The roll's conditions on `honorees h`: the filters and `words` (by default every word of the query).

    `search` replaces the expression searched (`h.search`). A word of 3+ letters
    is a LIKE '%word%', a shorter one a LIKE of a word's start: the trigram
    indexes on `search` (migration 009) answer both. `public=False` leaves out
    the public roll's own condition (for an expression read from an index that
    holds the public roll only).
    """

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    a = "h"
    text = search or f"{a}.search"
    conds = ["h.status = 'granted'"] if public else ["true"]  # the public roll: domain.is_public
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
            conds.append(f"{text} LIKE {arg(token_pattern(word))}")
        else:  # the start of any word of the text
            start = escape_like(word) + "%"
            conds.append(f"({text} LIKE {arg(start)} OR {text} LIKE {arg('% ' + start)})")
    return " AND ".join(conds)


def after(args: list[Any], key: RollKey | None, alias: str = "h") -> str:
    """The keyset condition: rows after `key` in the roll's order."""
    if key is None:
        return ""
    args.extend(key)
    n = len(args)
    return f" AND ({alias}.sort_group, {alias}.sort_key, {alias}.award_id) > (${n - 2}::smallint, ${n - 1}, ${n}::uuid)"


ROLL_COLUMNS = """h.award_id, h.kind, h.name, h.unit_id, h.unit_name, h.campaign_id, h.campaign_name, h.year,
    h.category_id, h.category_name, h.form, h.decision_number, h.decision_date,
    h.ceremony_id, c.title AS ceremony_title, c.held_on AS ceremony_held_on, c.venue AS ceremony_venue,
    h.sort_group, h.sort_key"""
ORDER = "ORDER BY h.sort_group, h.sort_key, h.award_id"


def honoree(r: asyncpg.Record) -> tuple[Honoree, RollKey]:
    """A row of ROLL_COLUMNS as the public sees it, with its keyset key."""
    ceremony = None
    if r["ceremony_id"]:
        ceremony = CeremonyRef(
            id=r["ceremony_id"], title=r["ceremony_title"], held_on=r["ceremony_held_on"], venue=r["ceremony_venue"]
        )
    found = Honoree(
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
        ceremony=ceremony,
    )
    return found, (r["sort_group"], r["sort_key"], r["award_id"])
