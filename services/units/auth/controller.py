"""Tokens over HTTP: `POST /auth/token`, the caller's own account, and the public keys at `GET /auth/keys`."""

from __future__ import annotations

import asyncpg
from litestar import Controller, Request, get, post

from shared import auth
from shared.problems import Problem
from shared.settings import Settings
from shared.state import ServiceState
from shared.web import request_ip

from . import repository
from .keys import PRIVATE_KEYS, SIGNING_KEY
from .schemas import Me, TokenRequest, TokenResponse
from .service import login


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post("/token", status_code=200, summary="Exchange a username and password for a token")
    async def token(
        self, data: TokenRequest, request: Request, pool: asyncpg.Pool, settings: Settings, service: ServiceState
    ) -> TokenResponse:
        principal = await login(pool, request_ip(request), data.username, data.password)
        kid, private = service.get(SIGNING_KEY)
        return TokenResponse(
            access_token=auth.issue_token(private, kid, principal, settings.auth.token_ttl_seconds),
            expires_in=settings.auth.token_ttl_seconds,
        )

    @get("/me", guards=[auth.authenticated], summary="The caller's own account")
    async def me(self, pool: asyncpg.Pool, principal: auth.Principal) -> Me:
        found = await repository.me(pool, principal.account_id)
        if found is None:  # a valid token of an account that is gone
            raise Problem(401, "the token's account no longer exists", headers={"WWW-Authenticate": "Bearer"})
        return found

    @get("/keys", summary="The public keys (JWKS) that verify tokens", cache=60)
    async def jwks(self, service: ServiceState) -> dict[str, list[dict[str, str]]]:
        return {"keys": [auth.public_jwk(kid, key.public_key()) for kid, key in service.get(PRIVATE_KEYS).items()]}
