"""The SQL behind tokens: the account a login names, the login throttle, the signing keys."""

from __future__ import annotations

import uuid

import asyncpg

from shared.db import Queryable

from .schemas import Me


async def account_for_login(conn: Queryable, username: str) -> asyncpg.Record | None:
    """The account a login names (any case), with its password hash."""
    return await conn.fetchrow(
        "SELECT id, username, role, unit_id, password_hash FROM accounts WHERE lower(username) = lower($1)", username
    )


async def me(conn: Queryable, account_id: uuid.UUID) -> Me | None:
    row = await conn.fetchrow(
        """SELECT a.id, a.username, a.role, a.unit_id, u.name AS unit_name, a.created_at
           FROM accounts a LEFT JOIN units u ON u.id = a.unit_id WHERE a.id = $1""",
        account_id,
    )
    return None if row is None else Me(**dict(row))


# ------------------------------------------------------------------ login throttle
async def login_blocked_for(
    conn: Queryable, address: str, username: str, *, max_failures: int, window_seconds: float
) -> float | None:
    """Seconds until (address, username) may try again, or None when it may now."""
    return await conn.fetchval(
        """SELECT extract(epoch FROM window_start + make_interval(secs => $3) - now())::float8
           FROM login_failures
           WHERE address = $1 AND username = $2 AND failures >= $4
             AND window_start > now() - make_interval(secs => $3)""",
        address,
        username,
        window_seconds,
        max_failures,
    )


async def login_failed(conn: Queryable, address: str, username: str, *, window_seconds: float) -> None:
    """Count a failure in the current window (a new window when the last one is over)."""
    await conn.execute(
        """INSERT INTO login_failures (address, username, failures, window_start) VALUES ($1, $2, 1, now())
           ON CONFLICT (address, username) DO UPDATE SET
               failures = CASE WHEN login_failures.window_start > now() - make_interval(secs => $3)
                               THEN login_failures.failures + 1 ELSE 1 END,
               window_start = CASE WHEN login_failures.window_start > now() - make_interval(secs => $3)
                                   THEN login_failures.window_start ELSE now() END""",
        address,
        username,
        window_seconds,
    )


async def login_succeeded(conn: Queryable, address: str, username: str, *, window_seconds: float) -> None:
    """Forget this pair's failures, and any window long over (the table stays small)."""
    await conn.execute(
        """DELETE FROM login_failures
           WHERE (address = $1 AND username = $2) OR window_start < now() - make_interval(secs => $3 * 10)""",
        address,
        username,
        window_seconds,
    )


# ------------------------------------------------------------------ signing keys
async def add_first_signing_key(conn: Queryable, kid: str, private_key: bytes) -> None:
    """Store this key unless one is stored already (replicas starting together store one)."""
    await conn.execute(
        "INSERT INTO signing_keys (kid, private_key) SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM signing_keys)",
        kid,
        private_key,
    )


async def newest_signing_key(conn: Queryable) -> tuple[str, bytes]:
    row = await conn.fetchrow("SELECT kid, private_key FROM signing_keys ORDER BY created_at DESC, kid LIMIT 1")
    return row["kid"], bytes(row["private_key"])


async def signing_keys(conn: Queryable) -> dict[str, bytes]:
    return {r["kid"]: bytes(r["private_key"]) for r in await conn.fetch("SELECT kid, private_key FROM signing_keys")}
