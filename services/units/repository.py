"""All SQL of the units service. Every write that others must learn of emits
its event through the outbox in the same transaction."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from shared import events, outbox
from shared.problems import FieldError, Problem, conflict, not_found

from .schemas import Account, Me, Person, Unit, UnitImportRow

PRODUCER = "units"
# The tree lock: moves and imports take it exclusively, so no cycle can slip in
# and no path is computed from a parent that is moving; creating a unit or
# placing a person takes it shared, so those run side by side.
TREE_LOCK = 0x74726565  # "tree"

UNIT_COLUMNS = "id, code, name, kind, parent_id, nlevel(path) AS depth, version, created_at, updated_at"
PERSON_COLUMNS = "id, full_name, unit_id, position, birth_year, version, created_at, updated_at"
# `q` is matched as a substring of the folded name: its own % and _ are literal.
LIKE_Q = "'%' || replace(replace(replace(fold({0}), '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'"


async def _tree_shared(conn: asyncpg.Connection) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", TREE_LOCK)


async def _tree_exclusive(conn: asyncpg.Connection) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock($1)", TREE_LOCK)


# Deeper than any real administration; keeps every path well inside what the
# ltree GiST index can hold.
MAX_DEPTH = 32


def label(unit_id: uuid.UUID) -> str:
    return unit_id.hex


def _unit(row: asyncpg.Record) -> Unit:
    return Unit(**{k: row[k] for k in Unit.__struct_fields__})


def _person(row: asyncpg.Record) -> Person:
    return Person(**{k: row[k] for k in Person.__struct_fields__})


def _unit_event(cls: type[events.UnitState], unit: Unit, **extra: Any) -> events.UnitState:
    return cls(id=unit.id, code=unit.code, name=unit.name, kind=unit.kind, parent_id=unit.parent_id, **extra)


def _person_event(cls: type[events.PersonState], person: Person) -> events.PersonState:
    return cls(id=person.id, full_name=person.full_name, unit_id=person.unit_id, position=person.position)


def _too_deep(field: str) -> Problem:
    return Problem(409, f"the unit tree may be at most {MAX_DEPTH} levels deep",
                   errors=[FieldError(field, f"would make the tree deeper than {MAX_DEPTH} levels")])


def _no_parent(parent_id: uuid.UUID) -> Problem:
    return Problem(400, f"parent unit {parent_id} does not exist", errors=[FieldError("parent_id", "no such unit")])


# ------------------------------------------------------------------ units
async def create_unit(conn: asyncpg.Connection, code: str, name: str, kind: str, parent_id: uuid.UUID | None) -> Unit:
    new_id = uuid.uuid4()
    async with conn.transaction():
        await _tree_shared(conn)
        if parent_id is not None:
            parent_path = await conn.fetchval("SELECT path FROM units WHERE id = $1", parent_id)
            if parent_path is None:
                raise _no_parent(parent_id)
            if parent_path.count(".") + 2 > MAX_DEPTH:
                raise _too_deep("parent_id")
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
    roots: bool,
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
              AND (NOT $8::bool OR parent_id IS NULL)
              AND ($2::uuid IS NULL OR path <@ (SELECT path FROM units WHERE id = $2))
              AND ($3::text IS NULL OR kind = $3)
              AND ($4::text IS NULL OR fold(name) LIKE {LIKE_Q.format('$4')} OR lower(code) = lower($4))
              AND ($5::text IS NULL OR (fold(name), id) > ($5, $6::uuid))
            ORDER BY fold(name), id
            LIMIT $7""",
        parent_id, under_id, kind, q, after[0] if after else None, after[1] if after else None, limit + 1, roots,
    )
    return [(_unit(r), r["sort_key"]) for r in rows]


async def update_unit(
    conn: asyncpg.Connection, unit_id: uuid.UUID, *, name: str | None, parent_id: uuid.UUID | None, move: bool
) -> Unit:
    """Rename, move (with the whole subtree), or both: one event, one new version."""
    async with conn.transaction():
        if move:
            await _tree_exclusive(conn)
        row = await conn.fetchrow(f"SELECT {UNIT_COLUMNS}, path FROM units WHERE id = $1 FOR UPDATE", unit_id)
        if row is None:
            raise not_found("unit", unit_id)
        old_path = row["path"]
        moved = move and parent_id != row["parent_id"]
        renamed = name is not None and name != row["name"]
        if not moved and not renamed:
            return _unit(row)
        new_path = old_path
        if moved:
            if parent_id is None:
                new_path = label(unit_id)
            else:
                parent = await conn.fetchrow(
                    "SELECT path, path <@ $2::ltree AS inside FROM units WHERE id = $1", parent_id, old_path
                )
                if parent is None:
                    raise _no_parent(parent_id)
                if parent["inside"]:
                    raise conflict("a unit cannot be moved under itself or one of its own sub-units", "parent_id")
                new_path = f"{parent['path']}.{label(unit_id)}"
            subtree_depth = await conn.fetchval(
                "SELECT max(nlevel(path)) - nlevel($1::ltree) FROM units WHERE path <@ $1::ltree", old_path
            )
            if new_path.count(".") + 1 + subtree_depth > MAX_DEPTH:
                raise _too_deep("parent_id")
            await conn.execute(
                """UPDATE units SET path = $2::ltree || subpath(path, nlevel($1::ltree))
                   WHERE path <@ $1::ltree AND id <> $3""",
                old_path, new_path, unit_id,
            )
        updated = await conn.fetchrow(
            f"""UPDATE units SET name = $2, parent_id = $3, path = $4::ltree,
                       version = version + 1, updated_at = now()
                WHERE id = $1 RETURNING {UNIT_COLUMNS}""",
            unit_id, name if renamed else row["name"], parent_id if moved else row["parent_id"], new_path,
        )
        unit = _unit(updated)
        data: events.UnitState
        if moved:
            # The event carries the whole state, so a move that also renames needs no second event.
            data = _unit_event(events.UnitMoved, unit, previous_parent_id=row["parent_id"])
        else:
            data = _unit_event(events.UnitRenamed, unit)
        await outbox.emit(conn, data, producer=PRODUCER, aggregate_id=unit.id, version=unit.version)
    return unit


async def import_units(conn: asyncpg.Connection, rows: list[tuple[int, UnitImportRow]]) -> list[Unit]:
    """Create many units at once, parents by code (in the file or already stored); all or nothing.

    `rows` pairs each unit with its row number as the client counts it, so
    every error names the row to correct.
    """
    errors: list[FieldError] = []
    by_code: dict[str, tuple[int, UnitImportRow]] = {}
    for number, r in rows:
        key = r.code.lower()
        if key in by_code:
            errors.append(FieldError(f"row {number}.code", f"code {r.code!r} repeats row {by_code[key][0]}"))
        else:
            by_code[key] = (number, r)
    async with conn.transaction():
        await _tree_exclusive(conn)
        codes = list(by_code.keys() | {r.parent_code.lower() for _, r in rows if r.parent_code})
        existing = {
            rec["code"]: rec
            for rec in await conn.fetch(
                "SELECT lower(code) AS code, id, path::text AS path FROM units WHERE lower(code) = ANY($1::text[])", codes
            )
        }
        for number, r in rows:
            if r.code.lower() in existing:
                errors.append(FieldError(f"row {number}.code", f"a unit with code {r.code!r} already exists"))
            if r.parent_code and r.parent_code.lower() not in by_code and r.parent_code.lower() not in existing:
                errors.append(FieldError(f"row {number}.parent_code", f"no unit has code {r.parent_code!r}"))
        if errors:
            raise Problem(400, f"{len(errors)} error(s) in the import; nothing was imported", errors=errors)

        ids = {code: uuid.uuid4() for code in by_code}
        paths = _import_paths(by_code, ids, {code: rec["path"] for code, rec in existing.items()})
        records = []
        for code, (_, r) in by_code.items():
            parent = r.parent_code.lower() if r.parent_code else None
            parent_id = None if parent is None else (ids[parent] if parent in ids else existing[parent]["id"])
            records.append((ids[code], r.code, r.name, r.kind, parent_id, paths[code]))
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
            raise conflict("a unit in the import took a code that was just used", "code") from exc
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


def _import_paths(
    by_code: dict[str, tuple[int, UnitImportRow]], ids: dict[str, uuid.UUID], stored: dict[str, str]
) -> dict[str, str]:
    """The path of every imported unit, walking up each chain once (no recursion: files may be deep)."""
    paths: dict[str, str] = {}
    for start in by_code:
        chain: list[str] = []
        on_chain: set[str] = set()
        current = start
        base = ""
        while current not in paths:
            if current in on_chain:
                cycle = chain[chain.index(current):]
                raise Problem(
                    400,
                    "the import's parent codes form a cycle; nothing was imported",
                    errors=[FieldError(f"row {by_code[c][0]}.parent_code", "forms a cycle") for c in cycle],
                )
            chain.append(current)
            on_chain.add(current)
            parent_code = by_code[current][1].parent_code
            parent = parent_code.lower() if parent_code else None
            if parent is None:
                break
            if parent in by_code:
                current = parent
                continue
            base = stored[parent] + "."
            break
        else:
            base = paths[current] + "."
        for code in reversed(chain):
            paths[code] = base + label(ids[code])
            if paths[code].count(".") + 1 > MAX_DEPTH:
                raise _too_deep(f"row {by_code[code][0]}.parent_code")
            base = paths[code] + "."
    return paths


async def unit_in_scope(conn: asyncpg.Connection | asyncpg.Pool, unit_id: uuid.UUID, scope_id: uuid.UUID | None) -> bool | None:
    """None when the unit does not exist; else whether it is `scope_id` or below it (True when no scope)."""
    row = await conn.fetchrow(
        """SELECT $2::uuid IS NULL OR coalesce(u.path <@ (SELECT path FROM units WHERE id = $2), false) AS inside
           FROM units u WHERE u.id = $1""",
        unit_id, scope_id,
    )
    return None if row is None else bool(row["inside"])


def _out_of_scope() -> Problem:
    return Problem(403, "an officer acts only for its own unit and the units below it")


async def _check_unit(conn: asyncpg.Connection, unit_id: uuid.UUID, scope_id: uuid.UUID | None) -> None:
    inside = await unit_in_scope(conn, unit_id, scope_id)
    if inside is None:
        raise Problem(400, f"unit {unit_id} does not exist", errors=[FieldError("unit_id", "no such unit")])
    if not inside:
        raise _out_of_scope()


# ------------------------------------------------------------------ people
async def create_person(
    conn: asyncpg.Connection,
    full_name: str,
    unit_id: uuid.UUID,
    position: str | None,
    birth_year: int | None,
    *,
    scope_id: uuid.UUID | None,
) -> Person:
    """A person in `unit_id`, which must lie in `scope_id`'s subtree when one is given (an officer's)."""
    async with conn.transaction():
        await _tree_shared(conn)  # the scope check holds until commit: no move slips in between
        await _check_unit(conn, unit_id, scope_id)
        row = await conn.fetchrow(
            f"""INSERT INTO people (id, full_name, unit_id, position, birth_year)
                VALUES ($1, $2, $3, $4, $5) RETURNING {PERSON_COLUMNS}""",
            uuid.uuid4(), full_name, unit_id, position, birth_year,
        )
        person = _person(row)
        await outbox.emit(
            conn, _person_event(events.PersonCreated, person), producer=PRODUCER, aggregate_id=person.id, version=person.version
        )
    return person


async def update_person(
    conn: asyncpg.Connection, person_id: uuid.UUID, changes: dict[str, Any], *, scope_id: uuid.UUID | None
) -> Person:
    """Apply `changes` (full_name, unit_id, position, birth_year); an officer keeps the person in its subtree."""
    async with conn.transaction():
        await _tree_shared(conn)
        row = await conn.fetchrow(f"SELECT {PERSON_COLUMNS} FROM people WHERE id = $1 FOR UPDATE", person_id)
        if row is None:
            raise not_found("person", person_id)
        if scope_id is not None and not await unit_in_scope(conn, row["unit_id"], scope_id):
            raise _out_of_scope()
        changed = {k: v for k, v in changes.items() if row[k] != v}
        if not changed:
            return _person(row)
        if "unit_id" in changed:
            await _check_unit(conn, changed["unit_id"], scope_id)
        new = {**{k: row[k] for k in ("full_name", "unit_id", "position", "birth_year")}, **changed}
        updated = await conn.fetchrow(
            f"""UPDATE people SET full_name = $2, unit_id = $3, position = $4, birth_year = $5,
                       version = version + 1, updated_at = now()
                WHERE id = $1 RETURNING {PERSON_COLUMNS}""",
            person_id, new["full_name"], new["unit_id"], new["position"], new["birth_year"],
        )
        person = _person(updated)
        if changed.keys() - {"birth_year"}:
            # The birth year never leaves this service, so changing only it tells nobody anything.
            await outbox.emit(
                conn, _person_event(events.PersonUpdated, person), producer=PRODUCER, aggregate_id=person.id, version=person.version
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
    under_id: uuid.UUID | None,
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
              AND ($7::uuid IS NULL OR u.path <@ (SELECT path FROM units WHERE id = $7))
              AND ($3::text IS NULL OR fold(p.full_name) LIKE {LIKE_Q.format('$3')})
              AND ($4::text IS NULL OR (fold(p.full_name), p.id) > ($4, $5::uuid))
            ORDER BY fold(p.full_name), p.id
            LIMIT $6""",
        unit_id, scope_unit_id, q, after[0] if after else None, after[1] if after else None, limit + 1, under_id,
    )
    return [(_person(r), r["sort_key"]) for r in rows]


# ------------------------------------------------------------------ accounts
ACCOUNT_COLUMNS = "id, username, role, unit_id, created_at"


async def create_account(
    conn: asyncpg.Connection | asyncpg.Pool, username: str, password_hash: str, role: str, unit_id: uuid.UUID | None
) -> Account:
    try:
        row = await conn.fetchrow(
            f"""INSERT INTO accounts (id, username, password_hash, role, unit_id) VALUES ($1, $2, $3, $4, $5)
                RETURNING {ACCOUNT_COLUMNS}""",
            uuid.uuid4(), username, password_hash, role, unit_id,
        )
    except asyncpg.UniqueViolationError as exc:
        raise conflict(f"the username {username!r} is taken", "username") from exc
    except asyncpg.ForeignKeyViolationError as exc:
        raise Problem(400, f"unit {unit_id} does not exist", errors=[FieldError("unit_id", "no such unit")]) from exc
    except asyncpg.CheckViolationError as exc:
        raise Problem(400, "an officer account needs the unit it acts for",
                      errors=[FieldError("unit_id", "required for officer")]) from exc
    return Account(**dict(row))


async def get_account(conn: asyncpg.Connection | asyncpg.Pool, account_id: uuid.UUID) -> Account:
    row = await conn.fetchrow(f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1", account_id)
    if row is None:
        raise not_found("account", account_id)
    return Account(**dict(row))


async def list_accounts(
    conn: asyncpg.Connection | asyncpg.Pool,
    *,
    role: str | None,
    unit_id: uuid.UUID | None,
    q: str | None,
    after: str | None,
    limit: int,
) -> list[Account]:
    """Accounts by username (case-insensitive, which is also what makes a username unique)."""
    rows = await conn.fetch(
        f"""SELECT {ACCOUNT_COLUMNS} FROM accounts
            WHERE ($1::text IS NULL OR role = $1)
              AND ($2::uuid IS NULL OR unit_id = $2)
              AND ($3::text IS NULL OR strpos(lower(username), lower($3)) > 0)
              AND ($4::text IS NULL OR lower(username) > $4)
            ORDER BY lower(username)
            LIMIT $5""",
        role, unit_id, q, after, limit + 1,
    )
    return [Account(**dict(r)) for r in rows]


async def me(conn: asyncpg.Connection | asyncpg.Pool, account_id: uuid.UUID) -> Me | None:
    row = await conn.fetchrow(
        """SELECT a.id, a.username, a.role, a.unit_id, u.name AS unit_name, a.created_at
           FROM accounts a LEFT JOIN units u ON u.id = a.unit_id WHERE a.id = $1""",
        account_id,
    )
    return None if row is None else Me(**dict(row))


async def account_for_login(conn: asyncpg.Connection | asyncpg.Pool, username: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, username, role, unit_id, password_hash FROM accounts WHERE lower(username) = lower($1)", username
    )


async def count_accounts(conn: asyncpg.Connection | asyncpg.Pool) -> int:
    return await conn.fetchval("SELECT count(*) FROM accounts")


# ------------------------------------------------------------------ login throttle
async def login_blocked_for(
    conn: asyncpg.Connection | asyncpg.Pool, address: str, username: str, *, max_failures: int, window_seconds: float
) -> float | None:
    """Seconds until (address, username) may try again, or None when it may now."""
    return await conn.fetchval(
        """SELECT extract(epoch FROM window_start + make_interval(secs => $3) - now())::float8
           FROM login_failures
           WHERE address = $1 AND username = $2 AND failures >= $4
             AND window_start > now() - make_interval(secs => $3)""",
        address, username, window_seconds, max_failures,
    )


async def login_failed(conn: asyncpg.Connection | asyncpg.Pool, address: str, username: str, *, window_seconds: float) -> None:
    """Count a failure in the current window (a new window when the last one is over)."""
    await conn.execute(
        """INSERT INTO login_failures (address, username, failures, window_start) VALUES ($1, $2, 1, now())
           ON CONFLICT (address, username) DO UPDATE SET
               failures = CASE WHEN login_failures.window_start > now() - make_interval(secs => $3)
                               THEN login_failures.failures + 1 ELSE 1 END,
               window_start = CASE WHEN login_failures.window_start > now() - make_interval(secs => $3)
                                   THEN login_failures.window_start ELSE now() END""",
        address, username, window_seconds,
    )


async def login_succeeded(conn: asyncpg.Connection | asyncpg.Pool, address: str, username: str, *, window_seconds: float) -> None:
    """Forget this pair's failures, and any window long over (the table stays small)."""
    await conn.execute(
        """DELETE FROM login_failures
           WHERE (address = $1 AND username = $2) OR window_start < now() - make_interval(secs => $3 * 10)""",
        address, username, window_seconds,
    )
