"""The accounts' SQL."""

from __future__ import annotations

import uuid

import asyncpg

from shared.db import Queryable
from shared.errors import Conflict, FieldError, Invalid, NotFound

from .schemas import Account

ACCOUNT_COLUMNS = "id, username, role, unit_id, display_name, disabled, version, created_at, updated_at"
# What an admin may change of an account (PATCH /accounts/{id}), in `save_account`'s order.
FIELDS = ("disabled", "role", "unit_id", "display_name")


def no_unit(unit_id: uuid.UUID | None) -> Invalid:
    return Invalid(f"unit {unit_id} does not exist", errors=[FieldError("unit_id", "no such unit")])


async def insert_account(
    conn: Queryable,
    username: str,
    password_hash: str,
    role: str,
    unit_id: uuid.UUID | None,
    display_name: str | None = None,
) -> Account:
    try:
        row = await conn.fetchrow(
            f"""INSERT INTO accounts (id, username, password_hash, role, unit_id, display_name)
                VALUES ($1, $2, $3, $4, $5, $6)
                RETURNING {ACCOUNT_COLUMNS}""",
            uuid.uuid4(),
            username,
            password_hash,
            role,
            unit_id,
            display_name,
        )
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(f"the username {username!r} is taken", field="username") from exc
    except asyncpg.ForeignKeyViolationError as exc:
        raise no_unit(unit_id) from exc
    return Account(**dict(row))


async def get_account(conn: Queryable, account_id: uuid.UUID) -> Account:
    row = await conn.fetchrow(f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1", account_id)
    if row is None:
        raise NotFound("account", account_id)
    return Account(**dict(row))


async def account_for_update(conn: asyncpg.Connection, account_id: uuid.UUID) -> Account:
    """The account, locked until the transaction ends: changes of one account apply one after the other."""
    row = await conn.fetchrow(f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1 FOR UPDATE", account_id)
    if row is None:
        raise NotFound("account", account_id)
    return Account(**dict(row))


async def save_account(
    conn: asyncpg.Connection,
    account_id: uuid.UUID,
    disabled: bool,
    role: str,
    unit_id: uuid.UUID | None,
    display_name: str | None,
) -> Account:
    """Store what an admin changed, as the account's next version."""
    try:
        row = await conn.fetchrow(
            f"""UPDATE accounts SET disabled = $2, role = $3, unit_id = $4, display_name = $5,
                       version = version + 1, updated_at = now()
                WHERE id = $1
                RETURNING {ACCOUNT_COLUMNS}""",
            account_id,
            disabled,
            role,
            unit_id,
            display_name,
        )
    except asyncpg.ForeignKeyViolationError as exc:
        raise no_unit(unit_id) from exc
    return Account(**dict(row))


async def set_password(conn: Queryable, account_id: uuid.UUID, password_hash: str) -> bool:
    """Store a new password hash; False when there is no such account."""
    return bool(
        await conn.fetchval(
            "UPDATE accounts SET password_hash = $2, updated_at = now() WHERE id = $1 RETURNING true",
            account_id,
            password_hash,
        )
    )


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


def account_from_row(row: asyncpg.Record) -> Account:
    return Account(**dict(row))


async def count_accounts(conn: Queryable) -> int:
    return await conn.fetchval("SELECT count(*) FROM accounts")
