"""The unit tree's SQL: units, their paths, and the lock that keeps the tree whole."""

from __future__ import annotations

import uuid

import asyncpg

from shared.db import Queryable
from shared.errors import Conflict, NotFound

from .schemas import Unit

# The tree lock: moves and imports take it exclusively, so no cycle can slip in
# and no path is computed from a parent that is moving; creating a unit or
# placing a person takes it shared, so those run side by side.
TREE_LOCK = 0x74726565  # "tree"

UNIT_COLUMNS = "id, code, name, kind, parent_id, nlevel(path) AS depth, version, created_at, updated_at"


async def lock_tree_shared(conn: asyncpg.Connection) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", TREE_LOCK)


async def lock_tree_exclusive(conn: asyncpg.Connection) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock($1)", TREE_LOCK)


def unit_from_row(row: asyncpg.Record) -> Unit:
    return Unit(**{k: row[k] for k in Unit.__struct_fields__})


async def path_of(conn: Queryable, unit_id: uuid.UUID) -> str | None:
    """The unit's path, or None when it does not exist."""
    return await conn.fetchval("SELECT path FROM units WHERE id = $1", unit_id)


async def insert_unit(
    conn: asyncpg.Connection,
    unit_id: uuid.UUID,
    code: str,
    name: str,
    kind: str,
    parent_id: uuid.UUID | None,
    path: str,
) -> Unit:
    try:
        row = await conn.fetchrow(
            f"""INSERT INTO units (id, code, name, kind, parent_id, path)
                VALUES ($1, $2, $3, $4, $5, $6::ltree) RETURNING {UNIT_COLUMNS}""",
            unit_id,
            code,
            name,
            kind,
            parent_id,
            path,
        )
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(f"a unit with code {code!r} already exists", field="code") from exc
    return unit_from_row(row)


async def get_unit(conn: Queryable, unit_id: uuid.UUID) -> Unit:
    row = await conn.fetchrow(f"SELECT {UNIT_COLUMNS} FROM units WHERE id = $1", unit_id)
    if row is None:
        raise NotFound("unit", unit_id)
    return unit_from_row(row)


async def list_units(
    conn: Queryable,
    *,
    parent_id: uuid.UUID | None,
    roots: bool,
    under_id: uuid.UUID | None,
    kind: str | None,
    q: str | None,
    q_pattern: str | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[tuple[Unit, str]]:
    """Units sorted by name as a Vietnamese reader expects (accent-free, then exact), keyset-paged.

    `q` matches a code exactly (any case); `q_pattern`, the LIKE pattern made of
    it (`shared.text.contains_pattern`), matches the folded name.
    """
    rows = await conn.fetch(
        f"""SELECT {UNIT_COLUMNS}, fold(name) AS sort_key FROM units
            WHERE ($1::uuid IS NULL OR parent_id = $1)
              AND (NOT $8::bool OR parent_id IS NULL)
              AND ($2::uuid IS NULL OR path <@ (SELECT path FROM units WHERE id = $2))
              AND ($3::text IS NULL OR kind = $3)
              AND ($4::text IS NULL OR fold(name) LIKE $9 OR lower(code) = lower($4))
              AND ($5::text IS NULL OR (fold(name), id) > ($5, $6::uuid))
            ORDER BY fold(name), id
            LIMIT $7""",
        parent_id,
        under_id,
        kind,
        q,
        after[0] if after else None,
        after[1] if after else None,
        limit + 1,
        roots,
        q_pattern,
    )
    return [(unit_from_row(r), r["sort_key"]) for r in rows]


async def unit_for_update(conn: asyncpg.Connection, unit_id: uuid.UUID) -> tuple[Unit, str]:
    """The unit, locked until the transaction ends, and its path."""
    row = await conn.fetchrow(f"SELECT {UNIT_COLUMNS}, path FROM units WHERE id = $1 FOR UPDATE", unit_id)
    if row is None:
        raise NotFound("unit", unit_id)
    return unit_from_row(row), row["path"]


async def subtree_height(conn: asyncpg.Connection, path: str) -> int:
    """How many levels the subtree at `path` reaches below it (0 for a leaf)."""
    return await conn.fetchval("SELECT max(nlevel(path)) - nlevel($1::ltree) FROM units WHERE path <@ $1::ltree", path)


async def move_descendants(conn: asyncpg.Connection, unit_id: uuid.UUID, old_path: str, new_path: str) -> None:
    """Re-root every unit below `old_path` under `new_path` (the unit itself is saved by `save_unit`)."""
    await conn.execute(
        """UPDATE units SET path = $2::ltree || subpath(path, nlevel($1::ltree))
           WHERE path <@ $1::ltree AND id <> $3""",
        old_path,
        new_path,
        unit_id,
    )


async def save_unit(
    conn: asyncpg.Connection, unit_id: uuid.UUID, *, name: str, parent_id: uuid.UUID | None, path: str
) -> Unit:
    """Store the unit's new name, parent and path as its next version."""
    row = await conn.fetchrow(
        f"""UPDATE units SET name = $2, parent_id = $3, path = $4::ltree,
                   version = version + 1, updated_at = now()
            WHERE id = $1 RETURNING {UNIT_COLUMNS}""",
        unit_id,
        name,
        parent_id,
        path,
    )
    return unit_from_row(row)


async def stored_by_code(conn: asyncpg.Connection, codes: list[str]) -> dict[str, tuple[uuid.UUID, str]]:
    """The id and path of each stored unit whose code is among `codes` (lower case), by lower-case code."""
    rows = await conn.fetch(
        "SELECT lower(code) AS code, id, path::text AS path FROM units WHERE lower(code) = ANY($1::text[])", codes
    )
    return {r["code"]: (r["id"], r["path"]) for r in rows}


ImportRecord = tuple[uuid.UUID, str, str, str, uuid.UUID | None, str]  # id, code, name, kind, parent_id, path


async def insert_units(conn: asyncpg.Connection, records: list[ImportRecord]) -> list[Unit]:
    """Insert many units at once; the stored units, parents before children."""
    # COPY into a scratch table, then one INSERT: foreign keys are checked at
    # the end of the statement, so the order of the rows does not matter.
    await conn.execute(
        """CREATE TEMP TABLE units_import (id uuid, code text, name text, kind text, parent_id uuid, path text)
           ON COMMIT DROP"""
    )
    await conn.copy_records_to_table("units_import", records=records)
    try:
        await conn.execute(
            """INSERT INTO units (id, code, name, kind, parent_id, path)
               SELECT id, code, name, kind, parent_id, path::ltree FROM units_import"""
        )
    except asyncpg.UniqueViolationError as exc:  # only if the lock were bypassed
        raise Conflict("a unit in the import took a code that was just used", field="code") from exc
    rows = await conn.fetch(
        f"SELECT {UNIT_COLUMNS} FROM units WHERE id = ANY($1::uuid[]) ORDER BY nlevel(path), code",
        [r[0] for r in records],
    )
    return [unit_from_row(r) for r in rows]


async def units_in_scope(
    conn: Queryable, unit_ids: list[uuid.UUID], scope_id: uuid.UUID | None
) -> dict[uuid.UUID, bool]:
    """`unit_in_scope` of many units in one statement: the units that exist, each with whether it is in scope."""
    rows = await conn.fetch(
        """SELECT u.id, $2::uuid IS NULL OR coalesce(u.path <@ (SELECT path FROM units WHERE id = $2), false) AS inside
           FROM units u WHERE u.id = ANY($1::uuid[])""",
        unit_ids,
        scope_id,
    )
    return {r["id"]: bool(r["inside"]) for r in rows}


async def unit_in_scope(conn: Queryable, unit_id: uuid.UUID, scope_id: uuid.UUID | None) -> bool | None:
    """None when the unit does not exist; else whether it is `scope_id` or below it (True when no scope)."""
    row = await conn.fetchrow(
        """SELECT $2::uuid IS NULL OR coalesce(u.path <@ (SELECT path FROM units WHERE id = $2), false) AS inside
           FROM units u WHERE u.id = $1""",
        unit_id,
        scope_id,
    )
    return None if row is None else bool(row["inside"])
