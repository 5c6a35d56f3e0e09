"""Passwords (Argon2id) and the token signing key (Ed25519), kept in the database."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

_hasher = PasswordHasher()  # Argon2id with the library's recommended parameters
# A hash to verify against when the username is unknown, so timing does not tell.
_DUMMY = _hasher.hash(uuid.uuid4().hex)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


def hash_password_sync(password: str) -> str:
    return _hasher.hash(password)


async def verify_password(stored: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(stored or _DUMMY, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


async def signing_key(pool: asyncpg.Pool) -> tuple[str, Ed25519PrivateKey]:
    """The current signing key; created once, by whichever replica starts first."""
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    await pool.execute(
        "INSERT INTO signing_keys (kid, private_key) SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM signing_keys)",
        uuid.uuid4().hex[:16],
        raw,
    )
    row = await pool.fetchrow("SELECT kid, private_key FROM signing_keys ORDER BY created_at DESC, kid LIMIT 1")
    return row["kid"], Ed25519PrivateKey.from_private_bytes(bytes(row["private_key"]))


async def public_keys(pool: asyncpg.Pool) -> dict[str, Ed25519PrivateKey]:
    rows = await pool.fetch("SELECT kid, private_key FROM signing_keys")
    return {r["kid"]: Ed25519PrivateKey.from_private_bytes(bytes(r["private_key"])) for r in rows}
