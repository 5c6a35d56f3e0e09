"""The token signing keys (Ed25519), kept in the database; loaded into the service's state at start."""

from __future__ import annotations

import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from shared.db import Queryable
from shared.state import ServiceState, StateKey

from . import repository

SIGNING_KEY: StateKey[tuple[str, Ed25519PrivateKey]] = StateKey("signing_key")
PRIVATE_KEYS: StateKey[dict[str, Ed25519PrivateKey]] = StateKey("private_keys")


async def signing_key(conn: Queryable) -> tuple[str, Ed25519PrivateKey]:
    """The current signing key; created once, by whichever replica starts first."""
    key = Ed25519PrivateKey.generate()
    await repository.add_first_signing_key(
        conn, uuid.uuid4().hex[:16], key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    )
    kid, raw = await repository.newest_signing_key(conn)
    return kid, Ed25519PrivateKey.from_private_bytes(raw)


async def private_keys(conn: Queryable) -> dict[str, Ed25519PrivateKey]:
    """Every stored key by its id: their public halves verify tokens signed by any of them."""
    return {
        kid: Ed25519PrivateKey.from_private_bytes(raw) for kid, raw in (await repository.signing_keys(conn)).items()
    }


async def load_keys(service: ServiceState) -> None:
    """At start: make sure a signing key exists, and verify this service's own tokens locally."""
    service.put(SIGNING_KEY, await signing_key(service.pool))
    service.put(PRIVATE_KEYS, await private_keys(service.pool))
    service.verifier.set_keys({kid: k.public_key() for kid, k in service.get(PRIVATE_KEYS).items()})
