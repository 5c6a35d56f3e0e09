"""Importing past titles and awards by year (`POST /titles/import`): every row checked first, then all written
in one transaction, or none; idempotent on (nominee, title, year).

A row: `kind,unit_code,full_name,person_id,title,year`. An `individual` is found by `person_id`, or else by
`unit_code` and `full_name` when they name exactly one person of the service's copy of people (the name
compared ignoring case and diacritics, so "Nguyen Van A" and "Nguyễn Văn A" are the same name, and two such
people in one unit are ambiguous: the row must then give `person_id`). A `collective` is the unit of
`unit_code` (compared ignoring case). Errors name the row as the spreadsheet shows it (the header is row 1).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from shared.auth import Principal
from shared.errors import FieldError, Invalid
from shared.tables import TableError, parse_numbered
from shared.text import fold

from .. import publishes
from ..domain.eligibility import title_key
from ..publishes import Change

COLUMNS = ("kind", "unit_code", "full_name", "person_id", "title", "year")
MAX_ROWS = 20_000
KINDS = {"individual": "individual", "cá nhân": "individual", "collective": "collective", "tập thể": "collective"}
MAX_ERRORS = 200


@dataclass(frozen=True, slots=True)
class TitleRow:
    number: int
    kind: str
    nominee_id: uuid.UUID
    nominee_name: str
    unit_id: uuid.UUID
    title: str
    year: int


def read(filename: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    numbered = parse_numbered(filename, data, max_rows=MAX_ROWS)
    if not numbered:
        raise TableError(f"{filename}: no rows under the header", "no-rows")
    missing = tuple(c for c in COLUMNS if c not in numbered[0][1])
    if missing:
        raise TableError(
            f"{filename}: the header must be {','.join(COLUMNS)} (missing: {', '.join(missing)})",
            "columns",
            missing=missing,
        )
    return numbered


async def check_rows(conn: asyncpg.Connection, numbered: list[tuple[int, dict[str, str]]]) -> list[TitleRow]:
    """Every row checked against the service's copies; 400 naming each bad row (row, column, why)."""
    errors: list[FieldError] = []
    this_year = datetime.now(UTC).year

    def bad(number: int, column: str, why: str) -> None:
        errors.append(FieldError(f"rows[{number}].{column}", why))

    codes = {r.get("unit_code", "").lower() for _, r in numbered if r.get("unit_code")}
    units = {
        r["code"].lower(): r
        for r in await conn.fetch("SELECT id, code, name FROM units WHERE lower(code) = ANY($1::text[])", list(codes))
    }
    person_ids: set[uuid.UUID] = set()
    for _, r in numbered:
        try:
            if r.get("person_id"):
                person_ids.add(uuid.UUID(r["person_id"]))
        except ValueError:
            pass
    people = {
        r["id"]: r
        for r in await conn.fetch(
            "SELECT id, full_name, unit_id FROM people WHERE id = ANY($1::uuid[])", list(person_ids)
        )
    }
    unit_ids = [u["id"] for u in units.values()]
    by_name: dict[tuple[uuid.UUID, str], list[asyncpg.Record]] = {}
    for p in await conn.fetch("SELECT id, full_name, unit_id FROM people WHERE unit_id = ANY($1::uuid[])", unit_ids):
        by_name.setdefault((p["unit_id"], fold(p["full_name"])), []).append(p)

    rows: list[TitleRow] = []
    for number, r in numbered:
        before = len(errors)
        kind = KINDS.get(r.get("kind", "").strip().lower())
        if kind is None:
            bad(number, "kind", "individual (cá nhân) or collective (tập thể)")
        title = " ".join(r.get("title", "").split())
        if not title:
            bad(number, "title", "the title is missing")
        elif len(title) > 300 or not title_key(title):
            bad(number, "title", "at most 300 characters")
        year = None
        try:
            year = int(r.get("year", "").strip())
            if not 1945 <= year <= this_year:
                bad(number, "year", f"a year from 1945 to {this_year}")
                year = None
        except ValueError:
            bad(number, "year", "a year such as 2013")
        code = r.get("unit_code", "").strip()
        unit = units.get(code.lower()) if code else None
        nominee: tuple[uuid.UUID, str, uuid.UUID] | None = None
        if kind == "collective":
            if not code:
                bad(number, "unit_code", "a collective is found by its unit code")
            elif unit is None:
                bad(number, "unit_code", f"no unit with code {code}")
            else:
                nominee = (unit["id"], unit["name"], unit["id"])
        elif kind == "individual":
            if r.get("person_id"):
                try:
                    person = people.get(uuid.UUID(r["person_id"]))
                except ValueError:
                    bad(number, "person_id", "not a person id (a UUID)")
                else:
                    if person is None:
                        bad(number, "person_id", "no such person")
                    else:
                        nominee = (person["id"], person["full_name"], person["unit_id"])
            elif not code or not r.get("full_name"):
                bad(number, "person_id", "an individual is found by person_id, or by unit_code and full_name")
            elif unit is None:
                bad(number, "unit_code", f"no unit with code {code}")
            else:
                found = by_name.get((unit["id"], fold(r["full_name"])), [])
                if not found:
                    bad(number, "full_name", f"no person of that name in {unit['name']}")
                elif len(found) > 1:
                    bad(number, "full_name", f"{len(found)} people of that name in {unit['name']}: give person_id")
                else:
                    nominee = (found[0]["id"], found[0]["full_name"], found[0]["unit_id"])
        if len(errors) == before and kind and nominee and year is not None:
            rows.append(TitleRow(number, kind, nominee[0], nominee[1], nominee[2], title, year))
    if errors:
        shown = errors[:MAX_ERRORS]
        detail = f"{len(errors)} problems in the file; nothing was imported: " + "; ".join(
            f"{e.field}: {e.message}" for e in shown[:10]
        )
        raise Invalid(detail, errors=shown, kind="bad-rows")
    return rows


async def import_titles(conn: asyncpg.Connection, actor: Principal, filename: str, data: bytes) -> tuple[int, int]:
    """Check every row, then write the new ones with their audit row; (imported, already there)."""
    numbered = read(filename, data)
    async with conn.transaction():
        rows = await check_rows(conn, numbered)
        unique = {(r.nominee_id, title_key(r.title), r.year): r for r in rows}
        written = await conn.fetch(
            """INSERT INTO past_titles (id, nominee_kind, nominee_id, title, title_key, year, unit_id, nominee_name,
                                        imported_by)
               SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::int[], $7::uuid[],
                                    $8::text[], $9::uuid[])
               ON CONFLICT (nominee_id, title_key, year) DO NOTHING RETURNING id""",
            [uuid.uuid4() for _ in unique],
            [r.kind for r in unique.values()],
            [r.nominee_id for r in unique.values()],
            [r.title for r in unique.values()],
            [k[1] for k in unique],
            [r.year for r in unique.values()],
            [r.unit_id for r in unique.values()],
            [r.nominee_name for r in unique.values()],
            [actor.account_id] * len(unique),
        )
        imported = len(written)
        await publishes.audit(
            conn,
            actor,
            [
                Change(
                    "title_import",
                    uuid.uuid4(),
                    "import",
                    after={"file": filename, "rows": len(numbered), "imported": imported},
                )
            ],
        )
    return imported, len(unique) - imported
