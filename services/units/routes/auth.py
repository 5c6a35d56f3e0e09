"""Tokens: `POST /auth/token` and the public keys at `GET /auth/keys`."""

from __future__ import annotations

import time
from collections import defaultdict, deque

import asyncpg
from litestar import Request, get, post
from litestar.datastructures import State

from shared import auth
from shared.problems import Problem
from shared.settings import Settings
from shared.web import request_ip

from .. import keys, repository
from ..schemas import TokenRequest, TokenResponse

# Failed logins allowed per (address, username) in the window, before 429.
MAX_FAILURES = 10
WINDOW_SECONDS = 60.0


class LoginLimiter:
    def __init__(self) -> None:
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        q = self._failures[key]
        cutoff = time.monotonic() - WINDOW_SECONDS
        while q and q[0] < cutoff:
            q.popleft()
        return q

    def check(self, key: tuple[str, str]) -> None:
        q = self._recent(key)
        if len(q) >= MAX_FAILURES:
            retry = int(WINDOW_SECONDS - (time.monotonic() - q[0])) + 1
            raise Problem(429, "too many failed logins; wait and try again", headers={"Retry-After": str(retry)})

    def fail(self, key: tuple[str, str]) -> None:
        self._recent(key).append(time.monotonic())
        if len(self._failures) > 100_000:
            self._failures.clear()

    def succeed(self, key: tuple[str, str]) -> None:
        self._failures.pop(key, None)


limiter = LoginLimiter()


@post("/auth/token", tags=["auth"], status_code=200, summary="Exchange a username and password for a token")
async def token(data: TokenRequest, request: Request, pool: asyncpg.Pool, settings: Settings, state: State) -> TokenResponse:
    key = (request_ip(request), data.username.lower())
    limiter.check(key)
    account = await repository.account_for_login(pool, data.username)
    if not await keys.verify_password(account["password_hash"] if account else None, data.password):
        limiter.fail(key)
        raise Problem(401, "the username or password is wrong", headers={"WWW-Authenticate": "Bearer"})
    limiter.succeed(key)
    principal = auth.Principal(
        account_id=account["id"], username=account["username"], role=account["role"], unit_id=account["unit_id"]
    )
    kid, private = state.signing_key
    return TokenResponse(
        access_token=auth.issue_token(private, kid, principal, settings.token_ttl_seconds),
        expires_in=settings.token_ttl_seconds,
    )


@get("/auth/keys", tags=["auth"], summary="The public keys (JWKS) that verify tokens", cache=60)
async def jwks(state: State) -> dict[str, list[dict[str, str]]]:
    return {"keys": [auth.public_jwk(kid, key.public_key()) for kid, key in state.private_keys.items()]}


async def load_keys(state: State) -> None:
    """At start: make sure a signing key exists, and verify this service's own tokens locally."""
    state.signing_key = await keys.signing_key(state.pool)
    state.private_keys = await keys.public_keys(state.pool)
    state.verifier.set_keys({kid: k.public_key() for kid, k in state.private_keys.items()})
