"""The directives' SQL: directives, programmes and sessions written and read, and the figures counted on
the unit tree's copy (`units.path`, an ltree: `u.path <@ i.path` is "u is i or below it", through the
GiST index) and on the honour roll (`honorees`, status 'granted': a revoked award is a tombstone there).

Every figure is counted when asked, from the rows themselves: nothing is kept as a running total, so
reports and awards show at once, and sessions reported together all count.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

import asyncpg

from shared.db import Queryable
from shared.errors import Conflict, NotFound

from ..roll.collation import sort_key
from .domain import SessionKind
from .schemas import (
    CampaignHonoured,
    Coverage,
    Directive,
    DistrictCoverage,
    Honoured,
    MissingUnit,
    MonthSessions,
    Programme,
    ProgrammeDocument,
    Session,
    SessionTotals,
)

_DIRECTIVE = """d.id, d.code, d.title, d.implements, d.issuing_unit_id, u.name AS issuing_unit_name, d.issued_on,
    d.campaign_ids, d.created_at"""


def _directive(r: asyncpg.Record) -> Directive:
    return Directive(
        id=r["id"],
        code=r["code"],
        title=r["title"],
        implements=r["implements"],
        issuing_unit_id=r["issuing_unit_id"],
        issuing_unit_name=r["issuing_unit_name"],
        issued_on=r["issued_on"],
        campaign_ids=list(r["campaign_ids"]),
        created_at=r["created_at"],
    )


# ------------------------------------------------------------------ directives
async def insert_directive(
    conn: Queryable,
    *,
    code: str,
    title: str,
    implements: str,
    issuing_unit_id: uuid.UUID,
    issued_on: date,
    campaign_ids: list[uuid.UUID],
    created_by: uuid.UUID,
) -> uuid.UUID:
    directive_id = uuid.uuid4()
    try:
        await conn.execute(
            """INSERT INTO directives (id, code, title, implements, issuing_unit_id, issued_on, campaign_ids, created_by)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
            directive_id,
            code,
            title,
            implements,
            issuing_unit_id,
            issued_on,
            campaign_ids,
            created_by,
        )
    except asyncpg.UniqueViolationError:
        raise Conflict(f"a directive with the code {code!r} exists already", field="code") from None
    return directive_id


async def get_directive(conn: Queryable, directive_id: uuid.UUID) -> Directive:
    row = await conn.fetchrow(
        f"SELECT {_DIRECTIVE} FROM directives d LEFT JOIN units u ON u.id = d.issuing_unit_id WHERE d.id = $1",
        directive_id,
    )
    if row is None:
        raise NotFound("directive", directive_id)
    return _directive(row)


DirectiveKey = tuple[date, uuid.UUID]


async def list_directives(
    conn: Queryable, *, after: DirectiveKey | None, limit: int
) -> list[tuple[Directive, DirectiveKey]]:
    """Newest first (by the day issued)."""
    rows = await conn.fetch(
        f"""SELECT {_DIRECTIVE} FROM directives d LEFT JOIN units u ON u.id = d.issuing_unit_id
            WHERE ($1::date IS NULL OR (d.issued_on, d.id) < ($1, $2::uuid))
            ORDER BY d.issued_on DESC, d.id DESC LIMIT $3""",
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return [(d, (d.issued_on, d.id)) for d in map(_directive, rows)]


async def unit_known(conn: Queryable, unit_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT true FROM units WHERE id = $1", unit_id))


async def known_campaigns(conn: Queryable, campaign_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    return {r["id"] for r in await conn.fetch("SELECT id FROM campaigns WHERE id = ANY($1::uuid[])", campaign_ids)}


# ------------------------------------------------------------------ where a unit stands
@dataclass(frozen=True, slots=True)
class Placement:
    """A unit as a report under a directive needs it: is it known, under the issuing unit (or it), and in
    the officer's subtree (always, for a role that acts everywhere)."""

    known: bool
    below: bool
    is_issuer: bool
    in_scope: bool


async def placement(
    conn: Queryable, unit_id: uuid.UUID, issuing_unit_id: uuid.UUID, scope_unit_id: uuid.UUID | None
) -> Placement:
    row = await conn.fetchrow(
        """SELECT coalesce(u.path <@ i.path, false) AS below,
                  ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM units o WHERE o.id = $3 AND u.path <@ o.path)) AS in_scope
           FROM units u LEFT JOIN units i ON i.id = $2
           WHERE u.id = $1""",
        unit_id,
        issuing_unit_id,
        scope_unit_id,
    )
    if row is None:
        return Placement(known=False, below=False, is_issuer=False, in_scope=scope_unit_id is None)
    return Placement(known=True, below=row["below"], is_issuer=unit_id == issuing_unit_id, in_scope=row["in_scope"])


@dataclass(frozen=True, slots=True)
class CodedUnit:
    id: uuid.UUID
    below: bool
    is_issuer: bool


async def units_by_code(conn: Queryable, codes: Sequence[str], issuing_unit_id: uuid.UUID) -> dict[str, CodedUnit]:
    """The units of the copy with these codes (compared without case), keyed by the lower-cased code."""
    rows = await conn.fetch(
        """SELECT lower(u.code) AS code, u.id, coalesce(u.path <@ i.path, false) AS below
           FROM units u LEFT JOIN units i ON i.id = $2
           WHERE lower(u.code) = ANY($1::text[])""",
        [c.lower() for c in codes],
        issuing_unit_id,
    )
    return {r["code"]: CodedUnit(r["id"], r["below"], r["id"] == issuing_unit_id) for r in rows}


# ------------------------------------------------------------------ a report read back (programmes, sessions)
ListKey = tuple[datetime, uuid.UUID]
Reported = TypeVar("Reported", Programme, Session)


def _reported(table: str) -> str:
    """The reports of a table (`x`), each with its unit's name (None while the unit is not in the copy); a
    programme with what its document is (`doc_*`, None without one), never the document's bytes."""
    if table == "directive_programmes":
        return """SELECT x.*, u.name AS unit_name, d.filename AS doc_filename, d.size AS doc_size,
                         d.content_type AS doc_content_type, d.sha256 AS doc_sha256
                  FROM directive_programmes x LEFT JOIN units u ON u.id = x.unit_id
                       LEFT JOIN directive_programme_documents d ON d.programme_id = x.id"""
    return f"SELECT x.*, u.name AS unit_name FROM {table} x LEFT JOIN units u ON u.id = x.unit_id"


async def _get_reported(
    conn: Queryable, table: str, noun: str, make: Callable[[asyncpg.Record], Reported], report_id: uuid.UUID
) -> Reported:
    row = await conn.fetchrow(_reported(table) + " WHERE x.id = $1", report_id)
    if row is None:
        raise NotFound(noun, report_id)
    return make(row)


async def _list_reported(
    conn: Queryable,
    table: str,
    make: Callable[[asyncpg.Record], Reported],
    directive_id: uuid.UUID,
    unit_id: uuid.UUID | None,
    after: ListKey | None,
    limit: int,
) -> list[tuple[Reported, ListKey]]:
    """A directive's reports (one unit's, or all), in the order reported."""
    rows = await conn.fetch(
        _reported(table)
        + """ WHERE x.directive_id = $1 AND ($2::uuid IS NULL OR x.unit_id = $2)
                AND ($3::timestamptz IS NULL OR (x.created_at, x.id) > ($3, $4::uuid))
              ORDER BY x.created_at, x.id LIMIT $5""",
        directive_id,
        unit_id,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )
    return [(x, (x.created_at, x.id)) for x in map(make, rows)]


# ------------------------------------------------------------------ programmes
@dataclass(frozen=True, slots=True)
class ProgrammeRow:
    unit_id: uuid.UUID
    number: str
    issued_on: date
    title: str


async def insert_programmes(
    conn: Queryable, directive_id: uuid.UUID, rows: Sequence[ProgrammeRow], reported_by: uuid.UUID
) -> list[uuid.UUID]:
    """Every row in one statement; a unit that has a programme already (or twice here) is a 409."""
    ids = [uuid.uuid4() for _ in rows]
    try:
        await conn.execute(
            """INSERT INTO directive_programmes (id, directive_id, unit_id, number, issued_on, title, reported_by)
               SELECT x.id, $1, x.unit_id, x.number, x.issued_on, x.title, $2
               FROM unnest($3::uuid[], $4::uuid[], $5::text[], $6::date[], $7::text[])
                    AS x (id, unit_id, number, issued_on, title)""",
            directive_id,
            reported_by,
            ids,
            [r.unit_id for r in rows],
            [r.number for r in rows],
            [r.issued_on for r in rows],
            [r.title for r in rows],
        )
    except asyncpg.UniqueViolationError:
        unit = rows[0].unit_id if len(rows) == 1 else None
        raise Conflict(
            f"unit {unit} has a programme under this directive already"
            if unit
            else "a unit of the file has a programme under this directive already",
            field="unit_id",
        ) from None
    return ids


async def units_with_programmes(conn: Queryable, directive_id: uuid.UUID, unit_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    rows = await conn.fetch(
        "SELECT unit_id FROM directive_programmes WHERE directive_id = $1 AND unit_id = ANY($2::uuid[])",
        directive_id,
        unit_ids,
    )
    return {r["unit_id"] for r in rows}


async def get_programme(conn: Queryable, programme_id: uuid.UUID) -> Programme:
    return await _get_reported(conn, "directive_programmes", "programme", _programme, programme_id)


def _programme(r: asyncpg.Record) -> Programme:
    return Programme(
        id=r["id"],
        directive_id=r["directive_id"],
        unit_id=r["unit_id"],
        unit_name=r["unit_name"],
        number=r["number"],
        issued_on=r["issued_on"],
        title=r["title"],
        created_at=r["created_at"],
        document=ProgrammeDocument(
            filename=r["doc_filename"], size=r["doc_size"], content_type=r["doc_content_type"], sha256=r["doc_sha256"]
        )
        if r["doc_sha256"] is not None
        else None,
    )


async def list_programmes(
    conn: Queryable, directive_id: uuid.UUID, *, unit_id: uuid.UUID | None, after: ListKey | None, limit: int
) -> list[tuple[Programme, ListKey]]:
    return await _list_reported(conn, "directive_programmes", _programme, directive_id, unit_id, after, limit)


# ------------------------------------------------------------------ a programme's document
async def put_document(
    conn: Queryable,
    programme_id: uuid.UUID,
    *,
    filename: str,
    content_type: str,
    sha256: str,
    content: bytes,
    uploaded_by: uuid.UUID,
) -> None:
    """Store the programme's document, replacing the one it had (one statement: two uploads at once leave
    one of them whole)."""
    await conn.execute(
        """INSERT INTO directive_programme_documents
               (programme_id, filename, content_type, size, sha256, content, uploaded_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (programme_id) DO UPDATE SET
               filename = EXCLUDED.filename, content_type = EXCLUDED.content_type, size = EXCLUDED.size,
               sha256 = EXCLUDED.sha256, content = EXCLUDED.content, uploaded_by = EXCLUDED.uploaded_by,
               uploaded_at = now()""",
        programme_id,
        filename,
        content_type,
        len(content),
        sha256,
        content,
        uploaded_by,
    )


async def document_content(conn: Queryable, programme_id: uuid.UUID) -> tuple[ProgrammeDocument, bytes] | None:
    """The document and its bytes, read together (a replacement between two reads cannot mix them)."""
    row = await conn.fetchrow(
        """SELECT filename, size, content_type, sha256, content FROM directive_programme_documents
           WHERE programme_id = $1""",
        programme_id,
    )
    if row is None:
        return None
    found = ProgrammeDocument(
        filename=row["filename"], size=row["size"], content_type=row["content_type"], sha256=row["sha256"]
    )
    return found, bytes(row["content"])


async def document_tag(conn: Queryable, programme_id: uuid.UUID) -> str | None:
    """The document's SHA-256 alone (to answer 304 without reading its bytes)."""
    tag = await conn.fetchval("SELECT sha256 FROM directive_programme_documents WHERE programme_id = $1", programme_id)
    return str(tag) if tag is not None else None


async def delete_document(conn: Queryable, programme_id: uuid.UUID) -> bool:
    return (
        await conn.execute("DELETE FROM directive_programme_documents WHERE programme_id = $1", programme_id)
    ) == "DELETE 1"


# ------------------------------------------------------------------ sessions
@dataclass(frozen=True, slots=True)
class SessionRow:
    unit_id: uuid.UUID
    held_on: date
    kind: SessionKind
    title: str
    attendees: int


async def insert_sessions(
    conn: Queryable, directive_id: uuid.UUID, rows: Sequence[SessionRow], reported_by: uuid.UUID
) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in rows]
    await conn.execute(
        """INSERT INTO directive_sessions (id, directive_id, unit_id, held_on, kind, title, attendees, reported_by)
           SELECT x.id, $1, x.unit_id, x.held_on, x.kind, x.title, x.attendees, $2
           FROM unnest($3::uuid[], $4::uuid[], $5::date[], $6::text[], $7::text[], $8::int[])
                AS x (id, unit_id, held_on, kind, title, attendees)""",
        directive_id,
        reported_by,
        ids,
        [r.unit_id for r in rows],
        [r.held_on for r in rows],
        [str(r.kind) for r in rows],
        [r.title for r in rows],
        [r.attendees for r in rows],
    )
    return ids


def _session(r: asyncpg.Record) -> Session:
    return Session(
        id=r["id"],
        directive_id=r["directive_id"],
        unit_id=r["unit_id"],
        unit_name=r["unit_name"],
        held_on=r["held_on"],
        kind=SessionKind(r["kind"]),
        title=r["title"],
        attendees=r["attendees"],
        created_at=r["created_at"],
    )


async def get_session(conn: Queryable, session_id: uuid.UUID) -> Session:
    return await _get_reported(conn, "directive_sessions", "session", _session, session_id)


async def list_sessions(
    conn: Queryable, directive_id: uuid.UUID, *, unit_id: uuid.UUID | None, after: ListKey | None, limit: int
) -> list[tuple[Session, ListKey]]:
    return await _list_reported(conn, "directive_sessions", _session, directive_id, unit_id, after, limit)


# ------------------------------------------------------------------ the figures
async def coverage(conn: Queryable, directive_id: uuid.UUID, issuing_unit_id: uuid.UUID) -> dict[str, Coverage]:
    """Per kind, the units below the issuing unit (at any depth, not itself) and how many have a programme."""
    rows = await conn.fetch(
        """SELECT u.kind, count(*)::int AS of, count(p.unit_id)::int AS done
           FROM units i
           JOIN units u ON u.path <@ i.path AND u.id <> i.id
           LEFT JOIN directive_programmes p ON p.directive_id = $1 AND p.unit_id = u.id
           WHERE i.id = $2
           GROUP BY u.kind ORDER BY u.kind""",
        directive_id,
        issuing_unit_id,
    )
    return {r["kind"]: Coverage(done=r["done"], of=r["of"]) for r in rows}


async def missing(conn: Queryable, directive_id: uuid.UUID, issuing_unit_id: uuid.UUID) -> list[MissingUnit]:
    """The units below the issuing unit without a programme: the higher first, each level by name without
    diacritics (in SQL: the roll's Vietnamese sort key costs 2 s for a province's 15,000 units)."""
    rows = await conn.fetch(
        """SELECT u.id, u.name, u.kind
           FROM units i
           JOIN units u ON u.path <@ i.path AND u.id <> i.id
           WHERE i.id = $2
             AND NOT EXISTS (SELECT 1 FROM directive_programmes p WHERE p.directive_id = $1 AND p.unit_id = u.id)
           ORDER BY nlevel(u.path), fold(u.name), u.name COLLATE "C", u.id""",
        directive_id,
        issuing_unit_id,
    )
    return [MissingUnit(id=r["id"], name=r["name"], kind=r["kind"]) for r in rows]


async def session_totals(conn: Queryable, directive_id: uuid.UUID) -> SessionTotals:
    row = await conn.fetchrow(
        """SELECT count(*)::int AS count, coalesce(sum(attendees), 0)::bigint AS attendees
           FROM directive_sessions WHERE directive_id = $1""",
        directive_id,
    )
    return SessionTotals(count=row["count"], attendees=row["attendees"])


async def honoured(conn: Queryable, campaign_ids: list[uuid.UUID]) -> Honoured:
    """The standing awards of the campaigns (granted and not revoked: `honorees.status`), by campaign and kind,
    whenever they were granted; the campaigns in the directive's order, each one even with none."""
    rows = await conn.fetch(
        """SELECT c.id, coalesce(k.name, '') AS name,
                  count(h.award_id) FILTER (WHERE h.kind = 'collective')::int AS collectives,
                  count(h.award_id) FILTER (WHERE h.kind = 'individual')::int AS individuals
           FROM unnest($1::uuid[]) WITH ORDINALITY AS c (id, n)
           LEFT JOIN campaigns k ON k.id = c.id
           LEFT JOIN honorees h ON h.campaign_id = c.id AND h.status = 'granted'
           GROUP BY c.id, c.n, k.name ORDER BY c.n""",
        campaign_ids,
    )
    by_campaign = [
        CampaignHonoured(
            campaign_id=r["id"], name=r["name"], collectives=r["collectives"], individuals=r["individuals"]
        )
        for r in rows
    ]
    return Honoured(
        collectives=sum(c.collectives for c in by_campaign),
        individuals=sum(c.individuals for c in by_campaign),
        by_campaign=by_campaign,
    )


async def coverage_by_child(
    conn: Queryable, directive_id: uuid.UUID, issuing_unit_id: uuid.UUID
) -> list[DistrictCoverage]:
    """Per direct child of the issuing unit, the units of its subtree (itself included) with a programme."""
    rows = await conn.fetch(
        """SELECT c.id, c.name, count(u.id)::int AS of, count(p.unit_id)::int AS done
           FROM units c
           JOIN units u ON u.path <@ c.path
           LEFT JOIN directive_programmes p ON p.directive_id = $1 AND p.unit_id = u.id
           WHERE c.parent_id = $2
           GROUP BY c.id, c.name""",
        directive_id,
        issuing_unit_id,
    )
    ordered = sorted(rows, key=lambda r: (sort_key(r["name"], "collective"), r["id"]))
    return [DistrictCoverage(unit_id=r["id"], name=r["name"], done=r["done"], of=r["of"]) for r in ordered]


async def sessions_by_month(conn: Queryable, directive_id: uuid.UUID) -> list[MonthSessions]:
    rows = await conn.fetch(
        """SELECT date_trunc('month', held_on)::date AS month, count(*)::int AS count,
                  sum(attendees)::bigint AS attendees
           FROM directive_sessions WHERE directive_id = $1
           GROUP BY 1 ORDER BY 1""",
        directive_id,
    )
    return [MonthSessions(month=r["month"], count=r["count"], attendees=r["attendees"]) for r in rows]
