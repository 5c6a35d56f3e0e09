"""All SQL of the units service. Every write that others must learn of emits
its event through the outbox in the same transaction."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from shared import events, outbox
from shared.problems import FieldError, Problem, conflict, not_found

from .schemas import Account, Person, Unit, UnitImportRow

PRODUCER = "units"
TREE_LOCK = 0x74726565  # "tree": moves and imports are serialised, so no cycle can slip in

UNIT_COLUMNS = "id, code, name, kind, parent_id, nlevel(path) AS depth, version, created_at, updated_at"
PERSON_COLUMNS = "id, full_name, unit_id, position, birth_year, created_at"


def label(unit_id: uuid.UUID) -> str:
    return unit_id.hex


def _unit(row: asyncpg.Record) -> Unit:
    return Unit(**dict(row))


def _person(row: asyncpg.Record) -> Person:
    return Person(**dict(row))


def _unit_event(cls: type[events.UnitState], unit: Unit, **extra: Any) -> events.UnitState:
    return cls(id=unit.id, code=unit.code, name=unit.name, kind=unit.kind, parent_id=unit.parent_id, **extra)


# ------------------------------------------------------------------ units
async def create_unit(conn: asyncpg.Connection, code: str, name: str, kind: str, parent_id: uuid.UUID | None) -> Unit:
    new_id = uuid.uuid4()
    async with conn.transaction():
        if parent_id is not None:
            parent_path = await conn.fetchval("SELECT path FROM units WHERE id = $1", parent_id)
            if parent_path is None:
                raise Problem(400, f"parent unit {parent_id} does not exist",
                              errors=[FieldError("parent_id", "no such unit")])
            path = f"{parent_path}.{label(new_id)}"
        else:
            path = label(new_id)
        try:
            row = await conn.fetchrow(
                f"""INSERT INTO units (id, code, name, kind, parent_id, path)
                    VALUES ($1, $2, $3, $4, $5, $6::ltree) RETURNING {UNIT_COLUMNS}""",
                new_id, code, name, kind, parent_id, path,
            )
        except asyncpg.UniqueViolationError as exc:
            raise conflict(f"a unit with code {code!r} already exists", "code") from exc
        unit = _unit(row)
        await outbox.emit(conn, _unit_event(events.UnitCreated, unit), producer=PRODUCER, aggregate_id=unit.id, version=unit.version)
    return unit


async def get_unit(conn: asyncpg.Connection | asyncpg.Pool, unit_id: uuid.UUID) -> Unit:
    row = await conn.fetchrow(f"SELECT {UNIT_COLUMNS} FROM units WHERE id = $1", unit_id)
    if row is None:
        raise not_found("unit", unit_id)
    return _unit(row)


async def list_units(
    conn: asyncpg.Connection | asyncpg.Pool,
    *,
    parent_id: uuid.UUID | None,
    under_id: uuid.UUID | None,
    kind: str | None,
    q: str | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[tuple[Unit, str]]:
    """Units sorted by name as a Vietnamese reader expects (accent-free, then exact), keyset-paged."""
    rows = await conn.fetch(
        f"""SELECT {UNIT_COLUMNS}, fold(name) AS sort_key FROM units
            WHERE ($1::uuid IS NULL OR parent_id = $1)
              AND ($2::uuid IS NULL OR path <@ (SELECT path FROM units WHERE id = $2))
              AND ($3::text IS NULL OR kind = $3)
              AND ($4::text IS NULL OR fold(name) LIKE '%' || fold($4) || '%' OR lower(code) = lower($4))
              AND ($5::text IS NULL OR (fold(name), id) > ($5, $6::uuid))
            ORDER BY fold(name), id
            LIMIT $7""",
        parent_id, under_id, kind, q, after[0] if after else None, after[1] if after else None, limit + 1,
    )
    return [(Unit(**{k: v for k, v in dict(r).items() if k != "sort_key"}), r["sort_key"]) for r in rows]


async def update_unit(
    conn: asyncpg.Connection, unit_id: uuid.UUID, *, name: str | None, parent_id: uuid.UUID | None, move: bool
) -> Unit:
    async with conn.transaction():
        if move:
            await conn.execute("SELECT pg_advisory_xact_lock($1)", TREE_LOCK)
        row = await conn.fetchrow(f"SELECT {UNIT_COLUMNS}, path FROM units WHERE id = $1 FOR UPDATE", unit_id)
        if row is None:
            raise not_found("unit", unit_id)
        old_path = row["path"]
        moved = move and parent_id != row["parent_id"]
        renamed = name is not None and name != row["name"]
        if not moved and not renamed:
            return Unit(**{k: row[k] for k in row.keys() if k != "path"})
        if moved:
            if parent_id is None:
                new_path = label(unit_id)
            else:
                parent = await conn.fetchrow("SELECT path, path <@ $2::ltree AS inside FROM units WHERE id = $1", parent_id, old_path)
                if parent is None:
                    raise Problem(400, f"parent unit {parent_id} does not exist",
                                  errors=[FieldError("parent_id", "no such unit")])
                if parent["inside"]:
                    raise conflict("a unit cannot be moved under itself or one of its own sub-units", "parent_id")
                new_path = f"{parent['path']}.{label(unit_id)}"
            await conn.execute(
                """UPDATE units SET path = $2::ltree || subpath(path, nlevel($1::ltree))
                   WHERE path <@ $1::ltree AND id <> $3""",
                old_path, new_path, unit_id,
            )
        else:
            new_path = old_path
        updated = await conn.fetchrow(
            f"""UPDATE units SET name = COALESCE($2, name), parent_id = $3, path = $4::ltree,
                       version = version + 1, updated_at = now()
                WHERE id = $1 RETURNING {UNIT_COLUMNS}""",
            unit_id, name, parent_id if moved else row["parent_id"], new_path,
        )
        unit = _unit(updated)
        data: events.UnitState
        if moved:
            data = _unit_event(events.UnitMoved, unit, previous_parent_id=row["parent_id"])
        else:
            data = _unit_event(events.UnitRenamed, unit)
        await outbox.emit(conn, data, producer=PRODUCER, aggregate_id=unit.id, version=unit.version)
    return unit


async def import_units(conn: asyncpg.Connection, rows: list[UnitImportRow]) -> list[Unit]:
    """Create many units at once, parents by code (in the file or already stored); all or nothing."""
    errors: list[FieldError] = []
    seen: dict[str, int] = {}
    for i, r in enumerate(rows, start=1):
        key = r.code.lower()
        if key in seen:
            errors.append(FieldError(f"row {i}.code", f"code {r.code!r} repeats row {seen[key]}"))
        else:
            seen[key] = i
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", TREE_LOCK)
        codes = list({r.code.lower() for r in rows} | {r.parent_code.lower() for r in rows if r.parent_code})
        existing = {
            rec["code"]: rec
            for rec in await conn.fetch("SELECT lower(code) AS code, id, path FROM units WHERE lower(code) = ANY($1::text[])", codes)
        }
        for i, r in enumerate(rows, start=1):
            if r.code.lower() in existing:
                errors.append(FieldError(f"row {i}.code", f"a unit with code {r.code!r} already exists"))
            if r.parent_code and r.parent_code.lower() not in seen and r.parent_code.lower() not in existing:
                errors.append(FieldError(f"row {i}.parent_code", f"no unit has code {r.parent_code!r}"))
        if errors:
            raise Problem(400, f"{len(errors)} row(s) are not valid; nothing was imported", errors=errors)
        # Parents before children, whatever the file's order; a cycle in the file is an error.
        ids = {r.code.lower(): uuid.uuid4() for r in rows}
        paths: dict[str, str] = {}
        by_code = {r.code.lower(): (i, r) for i, r in enumerate(rows, start=1)}

        def path_of(code: str, trail: tuple[str, ...] = ()) -> str:
            if code in paths:
                return paths[code]
            if code in trail:
                i, _ = by_code[code]
                raise Problem(400, "the file's parent codes form a cycle; nothing was imported",
                              errors=[FieldError(f"row {i}.parent_code", "forms a cycle")])
            i, r = by_code[code]
            parent = r.parent_code.lower() if r.parent_code else None
            if parent is None:
                prefix = ""
            elif parent in by_code:
                prefix = path_of(parent, (*trail, code)) + "."
            else:
                prefix = str(existing[parent]["path"]) + "."
            paths[code] = prefix + label(ids[code])
            return paths[code]

        for code in by_code:
            path_of(code)
        ordered = sorted(rows, key=lambda r: paths[r.code.lower()].count("."))
        records = []
        for r in ordered:
            parent = r.parent_code.lower() if r.parent_code else None
            parent_id = None if parent is None else (ids[parent] if parent in ids else existing[parent]["id"])
            records.append((ids[r.code.lower()], r.code, r.name, r.kind, parent_id, paths[r.code.lower()]))
        await conn.executemany(
            "INSERT INTO units (id, code, name, kind, parent_id, path) VALUES ($1, $2, $3, $4, $5, $6::ltree)", records
        )
        created = [
            _unit(row)
            for row in await conn.fetch(
                f"SELECT {UNIT_COLUMNS} FROM units WHERE id = ANY($1::uuid[]) ORDER BY nlevel(path), code",
                [rec[0] for rec in records],
            )
        ]
        await outbox.emit_many(
            conn, [(_unit_event(events.UnitCreated, u), u.id, u.version) for u in created], producer=PRODUCER
        )
    return created


async def unit_within(conn: asyncpg.Connection | asyncpg.Pool, unit_id: uuid.UUID, ancestor_id: uuid.UUID) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM units u, units a WHERE u.id = $1 AND a.id = $2 AND u.path <@ a.path)",
            unit_id, ancestor_id,
        )
    )


# ------------------------------------------------------------------ people
async def create_person(
    conn: asyncpg.Connection, full_name: str, unit_id: uuid.UUID, position: str | None, birth_year: int | None
) -> Person:
    async with conn.transaction():
        try:
            row = await conn.fetchrow(
                f"""INSERT INTO people (id, full_name, unit_id, position, birth_year)
                    VALUES ($1, $2, $3, $4, $5) RETURNING {PERSON_COLUMNS}""",
                uuid.uuid4(), full_name, unit_id, position, birth_year,
            )
        except asyncpg.ForeignKeyViolationError as exc:
            raise Problem(400, f"unit {unit_id} does not exist", errors=[FieldError("unit_id", "no such unit")]) from exc
        person = _person(row)
        await outbox.emit(
            conn,
            events.PersonCreated(id=person.id, full_name=person.full_name, unit_id=person.unit_id, position=person.position),
            producer=PRODUCER, aggregate_id=person.id, version=1,
        )
    return person


async def get_person(conn: asyncpg.Connection | asyncpg.Pool, person_id: uuid.UUID) -> Person:
    row = await conn.fetchrow(f"SELECT {PERSON_COLUMNS} FROM people WHERE id = $1", person_id)
    if row is None:
        raise not_found("person", person_id)
    return _person(row)


async def list_people(
    conn: asyncpg.Connection | asyncpg.Pool,
    *,
    unit_id: uuid.UUID | None,
    scope_unit_id: uuid.UUID | None,
    q: str | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[tuple[Person, str]]:
    rows = await conn.fetch(
        f"""SELECT {', '.join('p.' + c for c in PERSON_COLUMNS.split(', '))}, fold(p.full_name) AS sort_key
            FROM people p JOIN units u ON u.id = p.unit_id
            WHERE ($1::uuid IS NULL OR p.unit_id = $1)
              AND ($2::uuid IS NULL OR u.path <@ (SELECT path FROM units WHERE id = $2))
              AND ($3::text IS NULL OR fold(p.full_name) LIKE '%' || fold($3) || '%')
              AND ($4::text IS NULL OR (fold(p.full_name), p.id) > ($4, $5::uuid))
            ORDER BY fold(p.full_name), p.id
            LIMIT $6""",
        unit_id, scope_unit_id, q, after[0] if after else None, after[1] if after else None, limit + 1,
    )
    return [(Person(**{k: v for k, v in dict(r).items() if k != "sort_key"}), r["sort_key"]) for r in rows]


# ------------------------------------------------------------------ accounts
async def create_account(
    conn: asyncpg.Connection | asyncpg.Pool, username: str, password_hash: str, role: str, unit_id: uuid.UUID | None
) -> Account:
    try:
        row = await conn.fetchrow(
            """INSERT INTO accounts (id, username, password_hash, role, unit_id) VALUES ($1, $2, $3, $4, $5)
               RETURNING id, username, role, unit_id, created_at""",
            uuid.uuid4(), username, password_hash, role, unit_id,
        )
    except asyncpg.UniqueViolationError as exc:
        raise conflict(f"the username {username!r} is taken", "username") from exc
    except asyncpg.ForeignKeyViolationError as exc:
        raise Problem(400, f"unit {unit_id} does not exist", errors=[FieldError("unit_id", "no such unit")]) from exc
    return Account(**dict(row))


async def account_for_login(conn: asyncpg.Connection | asyncpg.Pool, username: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, username, role, unit_id, password_hash FROM accounts WHERE lower(username) = lower($1)", username
    )


async def count_accounts(conn: asyncpg.Connection | asyncpg.Pool) -> int:
    return await conn.fetchval("SELECT count(*) FROM accounts")
