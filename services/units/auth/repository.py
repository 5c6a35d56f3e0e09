"""The SQL behind tokens: the account a login names, the login throttle, sign-ins, the signing keys."""

from __future__ import annotations

import uuid

import asyncpg

from shared.db import Queryable

from .schemas import Me


async def account_for_login(conn: Queryable, username: str) -> asyncpg.Record | None:
    """The account a login names (any case), with its password hash."""
    return await conn.fetchrow(
        """SELECT id, username, role, unit_id, disabled, password_hash FROM accounts
           WHERE lower(username) = lower($1)""",
        username,
    )


async def account_for_password(conn: Queryable, account_id: uuid.UUID) -> asyncpg.Record | None:
    """The signed-in account's username and password hash (None: it is gone)."""
    return await conn.fetchrow("SELECT username, password_hash FROM accounts WHERE id = $1", account_id)


async def me(conn: Queryable, account_id: uuid.UUID) -> Me | None:
    row = await conn.fetchrow(
        """SELECT a.id, a.username, a.role, a.unit_id, u.name AS unit_name, a.display_name, a.created_at
           FROM accounts a LEFT JOIN units u ON u.id = a.unit_id WHERE a.id = $1""",
        account_id,
    )
    return None if row is None else Me(**dict(row))


# ------------------------------------------------------------------ login throttle
async def count_attempt(
    conn: Queryable,
    address: str,
    username: str,
    *,
    window_seconds: float,
    max_failures: int,
    account_window_seconds: float,
) -> asyncpg.Record:
    """Count a sign-in attempt before its password is checked, per (address, username) and per username.

    Counted first, in one statement, so that attempts made at the same time
    cannot all slip under the limit; a success clears the counts
    (`attempts_cleared`), so what remains counts failures. The per-username
    count is left alone when the pair is over its limit already: one address
    hammering an account locks out that address, not the account everywhere.
    Each count has a fixed window from its first attempt. The answer has each
    count with the seconds left in its window (`account_*` NULL when not counted).
    """
    return await conn.fetchrow(
        """WITH pair AS (
               INSERT INTO login_failures (address, username, failures, window_start) VALUES ($1, $2, 1, now())
               ON CONFLICT (address, username) DO UPDATE SET
                   failures = CASE WHEN login_failures.window_start > now() - make_interval(secs => $3)
                                   THEN login_failures.failures + 1 ELSE 1 END,
                   window_start = CASE WHEN login_failures.window_start > now() - make_interval(secs => $3)
                                       THEN login_failures.window_start ELSE now() END
               RETURNING failures, extract(epoch FROM window_start + make_interval(secs => $3) - now())::float8 AS wait
           ), account AS (
               INSERT INTO account_login_failures (username, failures, window_start)
               SELECT $2, 1, now() FROM pair WHERE pair.failures <= $4
               ON CONFLICT (username) DO UPDATE SET
                   failures = CASE WHEN account_login_failures.window_start > now() - make_interval(secs => $5)
                                   THEN account_login_failures.failures + 1 ELSE 1 END,
                   window_start = CASE WHEN account_login_failures.window_start > now() - make_interval(secs => $5)
                                       THEN account_login_failures.window_start ELSE now() END
               RETURNING failures, extract(epoch FROM window_start + make_interval(secs => $5) - now())::float8 AS wait
           )
           SELECT pair.failures AS pair_attempts, pair.wait AS pair_wait,
                  account.failures AS account_attempts, account.wait AS account_wait
           FROM pair LEFT JOIN account ON true""",
        address,
        username,
        window_seconds,
        max_failures,
        account_window_seconds,
    )


async def attempts_cleared(conn: Queryable, address: str, username: str, *, window_seconds: float) -> None:
    """After a right password: forget this pair's and this username's count, and any window long over."""
    await conn.execute(
        """WITH pair AS (
               DELETE FROM login_failures
               WHERE (address = $1 AND username = $2) OR window_start < now() - make_interval(secs => $3 * 10)
           )
           DELETE FROM account_login_failures
           WHERE username = $2 OR window_start < now() - make_interval(secs => $3 * 10)""",
        address,
        username,
        window_seconds,
    )


# ------------------------------------------------------------------ sign-ins (refresh-token families)
async def start_sign_in(
    conn: Queryable, sign_in_id: uuid.UUID, account_id: uuid.UUID, token_hash: bytes, ttl_seconds: int
) -> None:
    """A new sign-in with its first refresh token; sign-ins long expired are dropped on the way."""
    await conn.execute(
        """WITH gone AS (
               DELETE FROM sign_ins WHERE id IN (
                   SELECT id FROM sign_ins WHERE expires_at < now() ORDER BY expires_at LIMIT 100)
           )
           INSERT INTO sign_ins (id, account_id, token_hash, expires_at)
           VALUES ($1, $2, $3, now() + make_interval(secs => $4))""",
        sign_in_id,
        account_id,
        token_hash,
        float(ttl_seconds),
    )


async def sign_in_for_update(conn: asyncpg.Connection, sign_in_id: uuid.UUID) -> asyncpg.Record | None:
    """A sign-in with its account, locked: two refreshes of one sign-in apply one after the other."""
    return await conn.fetchrow(
        """SELECT s.account_id, s.token_hash, s.ended_at IS NOT NULL AS ended, s.expires_at <= now() AS expired,
                  a.username, a.role, a.unit_id, a.disabled
           FROM sign_ins s JOIN accounts a ON a.id = s.account_id
           WHERE s.id = $1
           FOR UPDATE OF s""",
        sign_in_id,
    )


async def rotate(conn: asyncpg.Connection, sign_in_id: uuid.UUID, token_hash: bytes, ttl_seconds: int) -> None:
    """The sign-in's next refresh token: the one presented stops working."""
    await conn.execute(
        """UPDATE sign_ins SET token_hash = $2, expires_at = now() + make_interval(secs => $3), refreshed_at = now()
           WHERE id = $1""",
        sign_in_id,
        token_hash,
        float(ttl_seconds),
    )


async def end_sign_in(conn: Queryable, sign_in_id: uuid.UUID, reason: str) -> None:
    await conn.execute(
        "UPDATE sign_ins SET ended_at = now(), ended_reason = $2 WHERE id = $1 AND ended_at IS NULL",
        sign_in_id,
        reason,
    )


async def end_sign_ins(conn: Queryable, account_id: uuid.UUID, reason: str, *, keep: uuid.UUID | None = None) -> int:
    """End every live sign-in of an account but `keep`; how many ended."""
    ended = await conn.fetchval(
        """WITH ended AS (
               UPDATE sign_ins SET ended_at = now(), ended_reason = $2
               WHERE account_id = $1 AND ended_at IS NULL AND ($3::uuid IS NULL OR id <> $3)
               RETURNING 1
           )
           SELECT count(*) FROM ended""",
        account_id,
        reason,
        keep,
    )
    return int(ended)


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
