"""Signing in and staying signed in: the throttle, the password, sign-ins and their refresh tokens.

A sign-in (one row of `sign_ins`, a refresh-token family) starts at `login`
and gives a refresh token that works once: `refresh` swaps it for the next
one. Presenting a token of the sign-in that is not its latest (one already
used) ends the sign-in, since two parties then hold it. `logout`, a password
change or reset, and disabling the account end sign-ins too.

Its refusals are `Problem`s, not `shared.errors`: the 429's Retry-After and the
401's WWW-Authenticate headers are part of the HTTP contract, and a domain
error carries no headers.
"""

from __future__ import annotations

import hmac
import math
import uuid

import asyncpg

from shared.auth import ACCOUNT_DISABLED, Principal
from shared.db import Queryable
from shared.errors import Invalid
from shared.problems import Problem

from .. import domain
from ..accounts import passwords
from ..accounts import repository as accounts
from ..domain import Refresh
from . import repository

WRONG_CREDENTIALS = "the username or password is wrong"
CHALLENGE = {"WWW-Authenticate": "Bearer"}


def _unauthorized(detail: str, *, disabled: bool = False) -> Problem:
    return Problem(401, detail, headers=CHALLENGE, type_=ACCOUNT_DISABLED if disabled else "about:blank")


async def _count_attempt(conn: Queryable, address: str, key: str) -> None:
    """Count this attempt at `key`'s password; 429 when over a limit (per address and username, or per username)."""
    counts = await repository.count_attempt(
        conn,
        address,
        key,
        window_seconds=domain.LOGIN_WINDOW_SECONDS,
        max_failures=domain.LOGIN_MAX_FAILURES,
        account_window_seconds=domain.LOGIN_ACCOUNT_WINDOW_SECONDS,
    )
    wait = domain.login_wait(**dict(counts))
    if wait is not None:
        raise Problem(
            429, "too many failed sign-ins; wait and try again", headers={"Retry-After": str(math.ceil(wait))}
        )


async def login(pool: asyncpg.Pool, address: str, username: str, password: str) -> tuple[Principal, str]:
    """The account whose username (any case) and password these are, and a new sign-in's refresh token."""
    key = username.lower()
    await _count_attempt(pool, address, key)
    account = await repository.account_for_login(pool, username)
    # Verified even when no account has that name (against a dummy hash), so timing does not tell.
    if not await passwords.verify_password(account["password_hash"] if account else None, password) or account is None:
        raise _unauthorized(WRONG_CREDENTIALS)
    await repository.attempts_cleared(pool, address, key, window_seconds=domain.LOGIN_WINDOW_SECONDS)
    # Said only to whoever knows the password: a locked-out user learns why.
    if account["disabled"]:
        raise _unauthorized("this account is disabled", disabled=True)
    sign_in_id = uuid.uuid4()
    token = domain.new_refresh_token(sign_in_id)
    await repository.start_sign_in(
        pool, sign_in_id, account["id"], domain.refresh_token_digest(token), domain.REFRESH_TOKEN_TTL_SECONDS
    )
    principal = Principal(
        account_id=account["id"], username=account["username"], role=account["role"], unit_id=account["unit_id"]
    )
    return principal, token


def _is_current(row: asyncpg.Record, token: str) -> bool:
    return hmac.compare_digest(bytes(row["token_hash"]), domain.refresh_token_digest(token))


async def refresh(pool: asyncpg.Pool, token: str) -> tuple[Principal, str]:
    """The account as it is now (role and unit may have changed) and the sign-in's next refresh token."""
    sign_in_id = domain.read_refresh_token(token)
    if sign_in_id is None:
        raise _unauthorized(domain.REFUSALS[Refresh.UNKNOWN])
    async with pool.acquire() as conn, conn.transaction():
        row = await repository.sign_in_for_update(conn, sign_in_id)
        outcome = domain.refresh_outcome(
            found=row is not None,
            current=row is not None and _is_current(row, token),
            ended=row is not None and row["ended"],
            expired=row is not None and row["expired"],
            disabled=row is not None and row["disabled"],
        )
        if outcome is Refresh.ROTATE:
            assert row is not None
            new_token = domain.new_refresh_token(sign_in_id)
            await repository.rotate(
                conn, sign_in_id, domain.refresh_token_digest(new_token), domain.REFRESH_TOKEN_TTL_SECONDS
            )
        elif outcome is Refresh.REUSED:
            # Committed before the 401 is raised: the sign-in stays ended.
            await repository.end_sign_in(conn, sign_in_id, "reuse")
    if outcome is not Refresh.ROTATE or row is None:
        raise _unauthorized(domain.REFUSALS[outcome], disabled=outcome is Refresh.DISABLED)
    principal = Principal(
        account_id=row["account_id"], username=row["username"], role=row["role"], unit_id=row["unit_id"]
    )
    return principal, new_token


async def logout(pool: asyncpg.Pool, token: str) -> None:
    """End the sign-in the token names. A token that names none is no error: the caller is signed out either way."""
    sign_in_id = domain.read_refresh_token(token)
    if sign_in_id is None:
        return
    async with pool.acquire() as conn, conn.transaction():
        row = await repository.sign_in_for_update(conn, sign_in_id)
        if row is not None and not row["ended"]:
            await repository.end_sign_in(conn, sign_in_id, "logout" if _is_current(row, token) else "reuse")


async def change_password(
    pool: asyncpg.Pool,
    principal: Principal,
    address: str,
    current_password: str,
    new_password: str,
    refresh_token: str | None,
) -> None:
    """The caller's new password, given its current one; every other sign-in of the account ends.

    The sign-in `refresh_token` names stays, when it is the caller's own and
    live; without it, every sign-in ends. A wrong current password counts as a
    failed sign-in: the call is no way around the throttle.
    """
    account = await repository.account_for_password(pool, principal.account_id)
    if account is None:  # a valid token of an account that is gone
        raise _unauthorized("the token's account no longer exists")
    key = account["username"].lower()
    await _count_attempt(pool, address, key)
    if not await passwords.verify_password(account["password_hash"], current_password):
        raise Invalid("the current password is wrong", field="current_password", kind="wrong-password")
    new_hash = await passwords.hash_password(new_password)
    keep = domain.read_refresh_token(refresh_token) if refresh_token else None
    async with pool.acquire() as conn, conn.transaction():
        await repository.attempts_cleared(conn, address, key, window_seconds=domain.LOGIN_WINDOW_SECONDS)
        await accounts.set_password(conn, principal.account_id, new_hash)
        if keep is not None:
            row = await repository.sign_in_for_update(conn, keep)
            live = row is not None and not row["ended"] and not row["expired"] and _is_current(row, str(refresh_token))
            if not live or row is None or row["account_id"] != principal.account_id:
                keep = None
        await repository.end_sign_ins(conn, principal.account_id, "password", keep=keep)
