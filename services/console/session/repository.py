"""The sessions table: SQL only."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from shared.db import Queryable

from ..domain import IDLE_LIMIT, MAX_AGE

COLUMNS = """id_hash, account_id, username, role, unit_id, unit_name, access_token, access_expires_at,
             refresh_token, csrf_token, created_at, last_seen_at"""


async def insert(
    db: Queryable,
    *,
    id_hash: bytes,
    account_id: uuid.UUID,
    username: str,
    role: str,
    unit_id: uuid.UUID | None,
    unit_name: str | None,
    access_token: str,
    access_expires_at: datetime,
    refresh_token: str | None,
    csrf_token: str,
) -> asyncpg.Record:
    row = await db.fetchrow(
        f"""INSERT INTO sessions (id_hash, account_id, username, role, unit_id, unit_name, access_token,
                                  access_expires_at, refresh_token, csrf_token)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            RETURNING {COLUMNS}""",
        id_hash,
        account_id,
        username,
        role,
        unit_id,
        unit_name,
        access_token,
        access_expires_at,
        refresh_token,
        csrf_token,
    )
    assert row is not None
    return row


async def find(db: Queryable, id_hash: bytes) -> asyncpg.Record | None:
    return await db.fetchrow(f"SELECT {COLUMNS} FROM sessions WHERE id_hash = $1", id_hash)


async def lock(conn: asyncpg.Connection, id_hash: bytes) -> asyncpg.Record | None:
    """The row, locked until the transaction ends: one request at a time refreshes a session's token."""
    return await conn.fetchrow(f"SELECT {COLUMNS} FROM sessions WHERE id_hash = $1 FOR UPDATE", id_hash)


async def store_tokens(
    db: Queryable, id_hash: bytes, access_token: str, access_expires_at: datetime, refresh_token: str | None
) -> asyncpg.Record | None:
    return await db.fetchrow(
        f"""UPDATE sessions SET access_token = $2, access_expires_at = $3, refresh_token = $4, last_seen_at = now()
            WHERE id_hash = $1 RETURNING {COLUMNS}""",
        id_hash,
        access_token,
        access_expires_at,
        refresh_token,
    )


async def touch(db: Queryable, id_hash: bytes) -> None:
    await db.execute("UPDATE sessions SET last_seen_at = now() WHERE id_hash = $1", id_hash)


async def delete(db: Queryable, id_hash: bytes) -> asyncpg.Record | None:
    return await db.fetchrow(f"DELETE FROM sessions WHERE id_hash = $1 RETURNING {COLUMNS}", id_hash)


async def purge_expired(db: Queryable) -> int:
    """Sessions past their idle limit or maximum age (each sign-in sweeps them)."""
    result: Any = await db.execute(
        "DELETE FROM sessions WHERE last_seen_at < now() - $1::interval OR created_at < now() - $2::interval",
        IDLE_LIMIT,
        MAX_AGE,
    )
    return int(str(result).split()[-1])
