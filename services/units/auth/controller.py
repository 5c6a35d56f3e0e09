"""Tokens over HTTP: signing in, refreshing, signing out, the caller's password and account, the public keys.

`POST /auth/token` starts a sign-in: an access token (a short-lived JWT) and a
refresh token (opaque, 30 days, stored hashed). `POST /auth/refresh` swaps a
refresh token for the next pair, once; `POST /auth/logout` ends the sign-in.
"""

from __future__ import annotations

import asyncpg
from litestar import Controller, Request, get, post

from shared import auth
from shared.problems import Problem
from shared.settings import Settings
from shared.state import ServiceState
from shared.web import request_ip

from . import repository
from . import service as sessions  # not `service`: that is the name of the ServiceState dependency
from .keys import PRIVATE_KEYS, SIGNING_KEY
from .schemas import Me, PasswordChange, RefreshRequest, TokenRequest, TokenResponse


def tokens(state: ServiceState, settings: Settings, principal: auth.Principal, refresh_token: str) -> TokenResponse:
    kid, private = state.get(SIGNING_KEY)
    return TokenResponse(
        access_token=auth.issue_token(private, kid, principal, settings.auth.token_ttl_seconds),
        expires_in=settings.auth.token_ttl_seconds,
        refresh_token=refresh_token,
    )


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post(
        "/token",
        status_code=200,
        summary="Exchange a username and password for a token",
        description=(
            "Sign in: an access token and a refresh token (a new sign-in). "
            "401 for a wrong username or password (one message for both); 401 with the problem type "
            "`/problems/account-disabled` for a disabled account's right password; 429 with Retry-After "
            "after too many failures for one username from one address, or from all addresses together."
        ),
    )
    async def token(
        self, data: TokenRequest, request: Request, pool: asyncpg.Pool, settings: Settings, service: ServiceState
    ) -> TokenResponse:
        principal, refresh_token = await sessions.login(pool, request_ip(request), data.username, data.password)
        return tokens(service, settings, principal, refresh_token)

    @post(
        "/refresh",
        status_code=200,
        summary="Swap a refresh token for a new access token and refresh token (public)",
        description=(
            "Each refresh token works once. Presenting one that was already used ends its whole sign-in "
            "(401), and its newer token stops working too. An unknown, expired or ended one is 401, and so "
            "is one of a disabled account (problem type `/problems/account-disabled`). The new access "
            "token carries the account's role and unit as they are now."
        ),
    )
    async def refresh(
        self, data: RefreshRequest, pool: asyncpg.Pool, settings: Settings, service: ServiceState
    ) -> TokenResponse:
        principal, refresh_token = await sessions.refresh(pool, data.refresh_token)
        return tokens(service, settings, principal, refresh_token)

    @post(
        "/logout",
        status_code=204,
        summary="Sign out: end the sign-in of a refresh token",
        description=(
            "No access token needed: the refresh token is the proof. 204 also for a token that names no "
            "live sign-in, so a repeated sign-out is no error. Access tokens already issued stay valid "
            "until they expire."
        ),
    )
    async def logout(self, data: RefreshRequest, pool: asyncpg.Pool) -> None:
        await sessions.logout(pool, data.refresh_token)

    @post(
        "/password",
        status_code=204,
        guards=[auth.authenticated],
        summary="Change the caller's own password",
        description=(
            "Every other sign-in of the account ends. The caller's own stays when the request names it by "
            "`refresh_token`; without it, every sign-in of the account ends. A wrong `current_password` is "
            "400 naming that field (problem type `/problems/wrong-password`) and counts as a failed "
            "sign-in (429 with Retry-After after too many)."
        ),
    )
    async def change_password(
        self, data: PasswordChange, request: Request, pool: asyncpg.Pool, principal: auth.Principal
    ) -> None:
        await sessions.change_password(
            pool, principal, request_ip(request), data.current_password, data.new_password, data.refresh_token
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
