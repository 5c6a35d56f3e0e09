"""The people's SQL."""

from __future__ import annotations

import uuid

import asyncpg

from shared.db import Queryable
from shared.errors import NotFound

from .schemas import Person

PERSON_COLUMNS = "id, full_name, unit_id, position, birth_year, version, created_at, updated_at"
# What a person's change may set, in the order `save_person` takes them.
FIELDS = ("full_name", "unit_id", "position", "birth_year")


def person_from_row(row: asyncpg.Record) -> Person:
    return Person(**{k: row[k] for k in Person.__struct_fields__})


async def insert_person(
    conn: asyncpg.Connection, full_name: str, unit_id: uuid.UUID, position: str | None, birth_year: int | None
) -> Person:
    row = await conn.fetchrow(
        f"""INSERT INTO people (id, full_name, unit_id, position, birth_year)
            VALUES ($1, $2, $3, $4, $5) RETURNING {PERSON_COLUMNS}""",
        uuid.uuid4(),
        full_name,
        unit_id,
        position,
        birth_year,
    )
    return person_from_row(row)


async def get_person(conn: Queryable, person_id: uuid.UUID) -> Person:
    row = await conn.fetchrow(f"SELECT {PERSON_COLUMNS} FROM people WHERE id = $1", person_id)
    if row is None:
        raise NotFound("person", person_id)
    return person_from_row(row)


async def person_for_update(conn: asyncpg.Connection, person_id: uuid.UUID) -> Person:
    """The person, locked until the transaction ends."""
    row = await conn.fetchrow(f"SELECT {PERSON_COLUMNS} FROM people WHERE id = $1 FOR UPDATE", person_id)
    if row is None:
        raise NotFound("person", person_id)
    return person_from_row(row)


async def save_person(
    conn: asyncpg.Connection,
    person_id: uuid.UUID,
    full_name: str,
    unit_id: uuid.UUID,
    position: str | None,
    birth_year: int | None,
) -> Person:
    """Store the person's new fields as its next version."""
    row = await conn.fetchrow(
        f"""UPDATE people SET full_name = $2, unit_id = $3, position = $4, birth_year = $5,
                   version = version + 1, updated_at = now()
            WHERE id = $1 RETURNING {PERSON_COLUMNS}""",
        person_id,
        full_name,
        unit_id,
        position,
        birth_year,
    )
    return person_from_row(row)


async def list_people(
    conn: Queryable,
    *,
    unit_id: uuid.UUID | None,
    under_id: uuid.UUID | None,
    scope_unit_id: uuid.UUID | None,
    q_pattern: str | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[tuple[Person, str]]:
    """People by folded name, keyset-paged; `q_pattern` (`shared.text.contains_pattern`) matches the folded name."""
    rows = await conn.fetch(
        f"""SELECT {", ".join("p." + c for c in PERSON_COLUMNS.split(", "))}, fold(p.full_name) AS sort_key
            FROM people p JOIN units u ON u.id = p.unit_id
            WHERE ($1::uuid IS NULL OR p.unit_id = $1)
              AND ($2::uuid IS NULL OR u.path <@ (SELECT path FROM units WHERE id = $2))
              AND ($7::uuid IS NULL OR u.path <@ (SELECT path FROM units WHERE id = $7))
              AND ($3::text IS NULL OR fold(p.full_name) LIKE $3)
              AND ($4::text IS NULL OR (fold(p.full_name), p.id) > ($4, $5::uuid))
            ORDER BY fold(p.full_name), p.id
            LIMIT $6""",
        unit_id,
        scope_unit_id,
        q_pattern,
        after[0] if after else None,
        after[1] if after else None,
        limit + 1,
        under_id,
    )
    return [(person_from_row(r), r["sort_key"]) for r in rows]


async def insert_people(
    conn: asyncpg.Connection, rows: list[tuple[str, uuid.UUID, str | None, int | None]]
) -> list[Person]:
    """Many new people (full name, unit, position, birth year) in one statement; in the order given."""
    ids = [uuid.uuid4() for _ in rows]
    names, units, positions, years = (list(column) for column in zip(*rows, strict=True)) if rows else ([], [], [], [])
    written = await conn.fetch(
        f"""INSERT INTO people (id, full_name, unit_id, position, birth_year)
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::int[])
            RETURNING {PERSON_COLUMNS}""",
        ids,
        names,
        units,
        positions,
        years,
    )
    by_id = {r["id"]: person_from_row(r) for r in written}
    return [by_id[i] for i in ids]
