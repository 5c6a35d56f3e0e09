"""Tokens and guards.

The units service alone signs tokens (Ed25519, EdDSA JWTs) and publishes the
public keys at `GET /auth/keys` as a JWKS; every service verifies with those
keys, fetched once and again only when a token names an unknown key id. Only
EdDSA is accepted, so `alg: none` and HS256 tokens forged with the public key
are refused. A disabled account's tokens are refused too, though unexpired:
the verifier asks the set that `shared/account_blocks.py` keeps current.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Container
from typing import Any, cast

import httpx
import jwt
import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from shared.errors import Forbidden
from shared.problems import Problem
from shared.roles import Role
from shared.state import service_state

log = logging.getLogger(__name__)

ISSUER = "thidua-units"
AUDIENCE = "thidua"
ALGORITHM = "EdDSA"
# The problem type of a refusal because the account is disabled, so a client can say so rather than "sign in again".
ACCOUNT_DISABLED = "/problems/account-disabled"


ROLES = frozenset(Role)


class Principal(msgspec.Struct, frozen=True):
    account_id: uuid.UUID
    username: str
    role: str
    unit_id: uuid.UUID | None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def scope_unit_id(self) -> uuid.UUID | None:
        """The unit whose subtree an officer acts for; None for the roles that act everywhere."""
        if self.role != Role.OFFICER:
            return None
        if self.unit_id is None:  # no token we issue says this; refuse rather than widen
            raise Forbidden("this officer account is not bound to a unit")
        return self.unit_id


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_jwk(kid: str, key: Ed25519PublicKey) -> dict[str, str]:
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64(raw), "kid": kid, "alg": ALGORITHM, "use": "sig"}


def keys_from_jwks(jwks: dict[str, Any]) -> dict[str, Ed25519PublicKey]:
    keys = {}
    for jwk in jwks.get("keys", []):
        if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and "kid" in jwk:
            keys[jwk["kid"]] = Ed25519PublicKey.from_public_bytes(_unb64(jwk["x"]))
    return keys


def issue_token(key: Ed25519PrivateKey, kid: str, principal: Principal, ttl_seconds: int) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(principal.account_id),
        "name": principal.username,
        "role": principal.role,
        "unit": str(principal.unit_id) if principal.unit_id else None,
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid})


KeyFetcher = Callable[[], Awaitable[dict[str, Ed25519PublicKey]]]


def jwks_fetcher(units_url: str) -> KeyFetcher:
    async def fetch() -> dict[str, Ed25519PublicKey]:
        async with httpx.AsyncClient(timeout=5) as client:
            resp = await client.get(f"{units_url}/auth/keys")
            resp.raise_for_status()
            return keys_from_jwks(resp.json())

    return fetch


class TokenVerifier:
    """Verifies bearer tokens; caches each verified token until it expires."""

    def __init__(self, fetch: KeyFetcher, *, refetch_after: float = 30.0) -> None:
        self._fetch = fetch
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._last_fetch = 0.0
        self._refetch_after = refetch_after
        self._lock = asyncio.Lock()
        self._cache: dict[str, tuple[Principal, float]] = {}
        self._disabled: Container[uuid.UUID] = frozenset()

    def refuse_accounts(self, disabled: Container[uuid.UUID]) -> None:
        """Refuse the tokens of the accounts in `disabled`, a live view (`shared.account_blocks.AccountBlocks`)."""
        self._disabled = disabled

    def set_keys(self, keys: dict[str, Ed25519PublicKey]) -> None:
        self._keys = dict(keys)

    async def _key(self, kid: str) -> Ed25519PublicKey:
        key = self._keys.get(kid)
        if key is not None:
            return key
        async with self._lock:
            key = self._keys.get(kid)
            if key is None and time.monotonic() - self._last_fetch > (self._refetch_after if self._keys else 1.0):
                self._last_fetch = time.monotonic()
                try:
                    self._keys = await self._fetch()
                except Exception as exc:
                    log.warning("could not fetch token keys", extra={"error": repr(exc)})
                    if not self._keys:
                        raise Problem(503, "token keys are not available yet; try again shortly") from exc
                key = self._keys.get(kid)
        if key is None:
            raise Problem(401, "the token was signed with an unknown key")
        return key

    async def verify(self, token: str) -> Principal:
        principal = await self._verified(token)
        # After the cache too: an account disabled since its token was first seen is refused from then on.
        if principal.account_id in self._disabled:
            raise Problem(
                401, "this account is disabled", type_=ACCOUNT_DISABLED, headers={"WWW-Authenticate": "Bearer"}
            )
        return principal

    async def _verified(self, token: str) -> Principal:
        now = time.time()
        cached = self._cache.get(token)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Problem(401, "the token is malformed") from exc
        if header.get("alg") != ALGORITHM:
            raise Problem(401, f"tokens must be signed with {ALGORITHM}")
        key = await self._key(str(header.get("kid", "")))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Problem(401, "the token has expired") from exc
        except jwt.PyJWTError as exc:
            raise Problem(401, f"the token is not valid: {exc}") from exc
        try:
            principal = Principal(
                account_id=uuid.UUID(claims["sub"]),
                username=str(claims.get("name", "")),
                role=claims["role"],
                unit_id=uuid.UUID(claims["unit"]) if claims.get("unit") else None,
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise Problem(401, "the token's claims are not valid") from exc
        if principal.role not in ROLES:
            raise Problem(401, "the token names an unknown role")
        if len(self._cache) > 50_000:
            self._cache.clear()
        self._cache[token] = (principal, float(claims["exp"]))
        return principal


BEARER = "bearer "
_SCOPE_KEY = "thidua_principal"


async def principal_of(connection: ASGIConnection) -> Principal | None:
    """The caller, or None when anonymous; a bad token is a 401, never anonymous."""
    # Kept in the request's own state: a guard and the handler's dependency verify the token once.
    request_state = connection.scope.setdefault("state", {})
    if _SCOPE_KEY in request_state:
        return cast(Principal | None, request_state[_SCOPE_KEY])
    header = connection.headers.get("authorization")
    principal = None
    if header:
        if not header.lower().startswith(BEARER):
            raise Problem(401, "use 'Authorization: Bearer <token>'", headers={"WWW-Authenticate": "Bearer"})
        principal = await service_state(connection.app).verifier.verify(header[len(BEARER) :].strip())
    request_state[_SCOPE_KEY] = principal
    return principal


async def require_principal(connection: ASGIConnection) -> Principal:
    principal = await principal_of(connection)
    if principal is None:
        raise Problem(401, "this call needs a bearer token", headers={"WWW-Authenticate": "Bearer"})
    return principal


def roles(*allowed: str) -> Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]:
    """A guard: the caller must hold one of `allowed` (401 anonymous, 403 otherwise)."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        principal = await require_principal(connection)
        if principal.role not in allowed:
            raise Problem(403, f"this call is for {' or '.join(allowed)} accounts; you are {principal.role}")

    guard.__name__ = f"roles_{'_'.join(allowed)}"
    return guard


async def authenticated(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    await require_principal(connection)


async def provide_principal(request: Any) -> Principal:
    """Dependency for handlers behind a guard."""
    return await require_principal(request)


async def provide_optional_principal(request: Any) -> Principal | None:
    return await principal_of(request)
