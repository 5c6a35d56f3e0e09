"""A login: the throttle, the password, and who the caller then is.

Its refusals are `Problem`s, not `shared.errors`: the 429's Retry-After and the
401's WWW-Authenticate headers are part of the HTTP contract, and a domain
error carries no headers.
"""

from __future__ import annotations

import math

from shared.auth import Principal
from shared.db import Queryable
from shared.problems import Problem

from ..accounts import passwords
from ..domain import LOGIN_MAX_FAILURES, LOGIN_WINDOW_SECONDS
from . import repository


async def login(conn: Queryable, address: str, username: str, password: str) -> Principal:
    """The account whose username (any case) and password these are, as a token's principal."""
    key = username.lower()
    wait = await repository.login_blocked_for(
        conn, address, key, max_failures=LOGIN_MAX_FAILURES, window_seconds=LOGIN_WINDOW_SECONDS
    )
    if wait is not None:
        raise Problem(
            429, "too many failed logins; wait and try again", headers={"Retry-After": str(max(1, math.ceil(wait)))}
        )
    account = await repository.account_for_login(conn, username)
    # Verified even when no account has that name (against a dummy hash), so timing does not tell.
    if not await passwords.verify_password(account["password_hash"] if account else None, password) or account is None:
        await repository.login_failed(conn, address, key, window_seconds=LOGIN_WINDOW_SECONDS)
        raise Problem(401, "the username or password is wrong", headers={"WWW-Authenticate": "Bearer"})
    await repository.login_succeeded(conn, address, key, window_seconds=LOGIN_WINDOW_SECONDS)
    return Principal(
        account_id=account["id"], username=account["username"], role=account["role"], unit_id=account["unit_id"]
    )
