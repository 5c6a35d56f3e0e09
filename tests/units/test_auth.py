"""Tokens: issued for a right password only, verified strictly, and logins throttled."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import cast

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from shared import auth
from tests.support import ADMIN_PASSWORD, Api, Stack
from tests.units.conftest import Tree
from tests.units.helpers import problem, units_db_value


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def signing_key(stack: Stack) -> tuple[str, Ed25519PrivateKey]:
    """The service's real signing key, read from its database: to forge what only a key holder could."""
    kid = await units_db_value(stack, "SELECT kid FROM signing_keys ORDER BY created_at DESC, kid LIMIT 1")
    raw = await units_db_value(stack, "SELECT private_key FROM signing_keys WHERE kid = $1", kid)
    return str(kid), Ed25519PrivateKey.from_private_bytes(cast(bytes, raw))


def claims(**over: object) -> dict:
    now = int(time.time())
    base = {
        "iss": auth.ISSUER,
        "aud": auth.AUDIENCE,
        "sub": str(uuid.uuid4()),
        "name": "x",
        "role": "admin",
        "unit": None,
        "iat": now,
        "exp": now + 300,
    }
    return {k: v for k, v in {**base, **over}.items() if v is not ...}


def unsigned(header: dict, body: dict, signature: bytes = b"") -> str:
    return ".".join([b64(json.dumps(header).encode()), b64(json.dumps(body).encode()), b64(signature)])


def hs256(header_kid: str, key: bytes) -> str:
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": header_kid}).encode())
    body = b64(json.dumps(claims()).encode())
    mac = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(mac)}"


@pytest.fixture(scope="module")
async def real_key(stack: Stack) -> tuple[str, Ed25519PrivateKey]:
    return await signing_key(stack)


async def test_a_token_is_an_eddsa_jwt_the_published_keys_verify(admin: Api, anonymous: Api) -> None:
    resp = await anonymous.units.post("/auth/token", json={"username": "ADMIN", "password": ADMIN_PASSWORD})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "bearer" and 0 < body["expires_in"] <= 3600
    token = body["access_token"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA"

    jwks = (await anonymous.units.get("/auth/keys")).json()
    [jwk] = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("OKP", "Ed25519", "EdDSA")
    assert "d" not in jwk  # never the private half
    public = auth.keys_from_jwks(jwks)[header["kid"]]
    decoded = jwt.decode(token, public, algorithms=["EdDSA"], audience=auth.AUDIENCE, issuer=auth.ISSUER)
    assert decoded["role"] == "admin" and decoded["name"] == "admin"
    assert decoded["exp"] - decoded["iat"] == body["expires_in"]


async def test_me_tells_the_caller_who_it_is(admin: Api, officer_a: Api, tree: Tree, anonymous: Api) -> None:
    me = (await admin.units.get("/auth/me")).json()
    assert (me["username"], me["role"], me["unit_id"]) == ("admin", "admin", None)
    officer = await officer_a.units.get("/auth/me")
    assert officer.status_code == 200, officer.text
    assert (officer.json()["role"], officer.json()["unit_id"], officer.json()["unit_name"]) == (
        "officer",
        tree.a["id"],
        tree.a["name"],
    )
    assert "password_hash" not in officer.json()
    problem(await anonymous.units.get("/auth/me"), 401)


async def test_a_wrong_password_and_an_unknown_user_look_the_same(admin: Api, anonymous: Api) -> None:
    username, _ = await admin.account("committee")
    wrong = problem(
        await anonymous.units.post("/auth/token", json={"username": username, "password": "nope-nope"}), 401
    )
    nobody = problem(
        await anonymous.units.post(
            "/auth/token", json={"username": f"ghost-{uuid.uuid4().hex}", "password": "nope-nope"}
        ),
        401,
    )
    assert wrong["detail"] == nobody["detail"]


async def test_a_token_of_an_account_that_is_gone_is_refused_by_me(
    stack: Stack, real_key: tuple[str, Ed25519PrivateKey], anonymous: Api
) -> None:
    kid, key = real_key
    token = jwt.encode(claims(), key, algorithm="EdDSA", headers={"kid": kid})
    problem(await anonymous.units.get("/auth/me", headers={"Authorization": f"Bearer {token}"}), 401)


BAD_TOKENS: dict[str, Callable[[str, Ed25519PrivateKey, bytes], str]] = {
    "expired": lambda kid, key, pub: jwt.encode(
        claims(iat=int(time.time()) - 3600, exp=int(time.time()) - 60), key, algorithm="EdDSA", headers={"kid": kid}
    ),
    "wrong signature": lambda kid, key, pub: jwt.encode(
        claims(), Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": kid}
    ),
    "signature of another token": lambda kid, key, pub: (
        jwt.encode(claims(), key, algorithm="EdDSA", headers={"kid": kid}).rsplit(".", 1)[0]
        + "."
        + jwt.encode(claims(role="officer"), key, algorithm="EdDSA", headers={"kid": kid}).rsplit(".", 1)[1]
    ),
    "unknown key id": lambda kid, key, pub: jwt.encode(
        claims(), Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "not-" + kid}
    ),
    "alg none": lambda kid, key, pub: unsigned({"alg": "none", "typ": "JWT", "kid": kid}, claims()),
    "alg none, no kid": lambda kid, key, pub: unsigned({"alg": "none"}, claims()),
    "HS256 with the raw public key": lambda kid, key, pub: hs256(kid, pub),
    "HS256 with the PEM public key": lambda kid, key, pub: hs256(
        kid, key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    ),
    "HS256 with the JWK's x": lambda kid, key, pub: hs256(kid, b64(pub).encode()),
    "wrong issuer": lambda kid, key, pub: jwt.encode(
        claims(iss="someone"), key, algorithm="EdDSA", headers={"kid": kid}
    ),
    "wrong audience": lambda kid, key, pub: jwt.encode(
        claims(aud="other"), key, algorithm="EdDSA", headers={"kid": kid}
    ),
    "no expiry": lambda kid, key, pub: jwt.encode(claims(exp=...), key, algorithm="EdDSA", headers={"kid": kid}),
    "unknown role": lambda kid, key, pub: jwt.encode(claims(role="root"), key, algorithm="EdDSA", headers={"kid": kid}),
    "subject not a uuid": lambda kid, key, pub: jwt.encode(
        claims(sub="admin"), key, algorithm="EdDSA", headers={"kid": kid}
    ),
    "garbage": lambda kid, key, pub: "not.a.token",
}


@pytest.fixture(scope="module")
async def bad_tokens(real_key: tuple[str, Ed25519PrivateKey]) -> dict[str, str]:
    kid, key = real_key
    pub = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {name: make(kid, key, pub) for name, make in BAD_TOKENS.items()}


@pytest.mark.parametrize("name", list(BAD_TOKENS))
async def test_a_bad_token_is_401_everywhere(name: str, bad_tokens: dict[str, str], anonymous: Api, tree: Tree) -> None:
    headers = {"Authorization": f"Bearer {bad_tokens[name]}"}
    problem(await anonymous.units.get("/auth/me", headers=headers), 401)
    problem(await anonymous.units.get("/people", headers=headers), 401)
    body = {"code": f"X-{uuid.uuid4().hex[:8]}", "name": "Giả mạo", "kind": "other"}
    problem(await anonymous.units.post("/units", json=body, headers=headers), 401)
    problem(await anonymous.units.patch(f"/units/{tree.a1['id']}", json={"name": "Giả mạo"}, headers=headers), 401)


async def test_the_real_key_makes_a_token_the_service_accepts(
    real_key: tuple[str, Ed25519PrivateKey], admin: Api
) -> None:
    """The control for the forgeries above: the same claims with the real key pass."""
    kid, key = real_key
    me = (await admin.units.get("/auth/me")).json()
    token = jwt.encode(claims(sub=me["id"], name="admin"), key, algorithm="EdDSA", headers={"kid": kid})
    resp = await admin.units.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200 and resp.json()["id"] == me["id"]


async def test_only_the_bearer_scheme_is_taken(anonymous: Api) -> None:
    basic = "Basic " + base64.b64encode(f"admin:{ADMIN_PASSWORD}".encode()).decode()
    for value in (basic, "Bearer", "Token abc", f"Bearer{ADMIN_PASSWORD}"):
        problem(await anonymous.units.get("/auth/me", headers={"Authorization": value}), 401)


@pytest.fixture
async def throwaway(admin: Api) -> AsyncIterator[tuple[str, str]]:
    yield await admin.account("committee")


async def test_repeated_failures_are_throttled_with_retry_after(stack: Stack, throwaway: tuple[str, str]) -> None:
    username, password = throwaway
    async with httpx.AsyncClient(base_url=stack.url("units"), timeout=30) as client:
        for _ in range(10):
            resp = await client.post(
                "/auth/token", json={"username": username, "password": "wrong-" + secrets.token_hex(4)}
            )
            problem(resp, 401)
        limited = await client.post("/auth/token", json={"username": username.upper(), "password": password})
        problem(limited, 429)
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        # Others are not locked out by someone guessing this account's password.
        assert (
            await client.post("/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD})
        ).status_code == 200


async def test_a_success_clears_the_failures(stack: Stack, throwaway: tuple[str, str]) -> None:
    username, password = throwaway
    async with httpx.AsyncClient(base_url=stack.url("units"), timeout=30) as client:
        for _ in range(9):
            problem(await client.post("/auth/token", json={"username": username, "password": "wrong-password"}), 401)
        assert (await client.post("/auth/token", json={"username": username, "password": password})).status_code == 200
        # Uncleared, this would be the tenth failure and the next call a 429.
        problem(await client.post("/auth/token", json={"username": username, "password": "wrong-password"}), 401)
        assert (await client.post("/auth/token", json={"username": username, "password": password})).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"", "body"),
        (b"{", None),
        (b'{"username": "admin"}', "password"),
        (b'{"username": 1, "password": "x"}', "username"),
        (b'{"username": "admin", "password": "x", "remember": true}', "remember"),
        (b'["admin", "x"]', "body"),
    ],
)
async def test_a_malformed_token_request_is_400(body: bytes, field: str | None, anonymous: Api) -> None:
    resp = await anonymous.units.post("/auth/token", content=body, headers={"content-type": "application/json"})
    problem(resp, 400, field)
