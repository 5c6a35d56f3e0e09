"""Tokens: `POST /auth/token` and the public keys at `GET /auth/keys`."""

from __future__ import annotations

import math

import asyncpg
from litestar import Request, get, post
from litestar.datastructures import State

from shared import auth
from shared.problems import Problem
from shared.settings import Settings
from shared.web import request_ip

from .. import keys, repository
from ..schemas import Me, TokenRequest, TokenResponse

# Failed logins allowed per (address, username) in a window, before 429. The
# count lives in the database, so every replica enforces the same limit.
MAX_FAILURES = 10
WINDOW_SECONDS = 60.0


@post("/auth/token", tags=["auth"], status_code=200, summary="Exchange a username and password for a token")
async def token(data: TokenRequest, request: Request, pool: asyncpg.Pool, settings: Settings, state: State) -> TokenResponse:
    address, username = request_ip(request), data.username.lower()
    wait = await repository.login_blocked_for(
        pool, address, username, max_failures=MAX_FAILURES, window_seconds=WINDOW_SECONDS
    )
    if wait is not None:
        raise Problem(
            429, "too many failed logins; wait and try again", headers={"Retry-After": str(max(1, math.ceil(wait)))}
        )
    account = await repository.account_for_login(pool, data.username)
    if not await keys.verify_password(account["password_hash"] if account else None, data.password):
        await repository.login_failed(pool, address, username, window_seconds=WINDOW_SECONDS)
        raise Problem(401, "the username or password is wrong", headers={"WWW-Authenticate": "Bearer"})
    await repository.login_succeeded(pool, address, username, window_seconds=WINDOW_SECONDS)
    principal = auth.Principal(
        account_id=account["id"], username=account["username"], role=account["role"], unit_id=account["unit_id"]
    )
    kid, private = state.signing_key
    return TokenResponse(
        access_token=auth.issue_token(private, kid, principal, settings.token_ttl_seconds),
        expires_in=settings.token_ttl_seconds,
    )


@get("/auth/me", guards=[auth.authenticated], tags=["auth"], summary="The caller's own account")
async def me(pool: asyncpg.Pool, principal: auth.Principal) -> Me:
    found = await repository.me(pool, principal.account_id)
    if found is None:  # a valid token of an account that is gone
        raise Problem(401, "the token's account no longer exists", headers={"WWW-Authenticate": "Bearer"})
    return found


@get("/auth/keys", tags=["auth"], summary="The public keys (JWKS) that verify tokens", cache=60)
async def jwks(state: State) -> dict[str, list[dict[str, str]]]:
    return {"keys": [auth.public_jwk(kid, key.public_key()) for kid, key in state.private_keys.items()]}


async def load_keys(state: State) -> None:
    """At start: make sure a signing key exists, and verify this service's own tokens locally."""
    state.signing_key = await keys.signing_key(state.pool)
    state.private_keys = await keys.public_keys(state.pool)
    state.verifier.set_keys({kid: k.public_key() for kid, k in state.private_keys.items()})
