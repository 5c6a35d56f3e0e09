"""The accounts' SQL."""

from __future__ import annotations

import uuid

import asyncpg

from shared.db import Queryable
from shared.errors import Conflict, FieldError, Invalid, NotFound

from .schemas import Account

ACCOUNT_COLUMNS = "id, username, role, unit_id, created_at"


async def insert_account(
    conn: Queryable, username: str, password_hash: str, role: str, unit_id: uuid.UUID | None
) -> Account:
    try:
        row = await conn.fetchrow(
            f"""INSERT INTO accounts (id, username, password_hash, role, unit_id) VALUES ($1, $2, $3, $4, $5)
                RETURNING {ACCOUNT_COLUMNS}""",
            uuid.uuid4(),
            username,
            password_hash,
            role,
            unit_id,
        )
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(f"the username {username!r} is taken", field="username") from exc
    except asyncpg.ForeignKeyViolationError as exc:
        raise Invalid(f"unit {unit_id} does not exist", errors=[FieldError("unit_id", "no such unit")]) from exc
    return Account(**dict(row))


async def get_account(conn: Queryable, account_id: uuid.UUID) -> Account:
    row = await conn.fetchrow(f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1", account_id)
    if row is None:
        raise NotFound("account", account_id)
    return Account(**dict(row))


async def list_accounts(
    conn: Queryable,
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
        role,
        unit_id,
        q,
        after,
        limit + 1,
    )
    return [Account(**dict(r)) for r in rows]


async def count_accounts(conn: Queryable) -> int:
    return await conn.fetchval("SELECT count(*) FROM accounts")
