"""PostgreSQL: the database of each service, its pool, and its migrations.

Migrations are numbered SQL files: first the sets from `shared/migrations`
that the service uses (`common`: outbox, inbox, idempotency keys, search;
`unit_copy`: the local copy of the unit tree), then the service's own folder.
A service names both in its `Migrations` (its `service.py`). Each file is
applied once, in its own transaction, recorded with a checksum, under an
advisory lock so that replicas starting together apply it once.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias
from urllib.parse import urlsplit, urlunsplit

import asyncpg

log = logging.getLogger(__name__)

# What a read needs: a connection (inside a transaction) or the pool (one statement, any connection).
Queryable: TypeAlias = asyncpg.Connection | asyncpg.Pool

SHARED_MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x7468_6964_7561  # "thidua": one lock id for every service database


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Migrations:
    """A service's schema: the shared sets it uses, then its own folder, recorded under `name`."""

    name: str
    folder: Path
    shared_sets: tuple[str, ...] = ("common",)


def migration_files(migrations: Migrations) -> list[tuple[str, Path]]:
    """(name, path) of every migration of a service, in the order they apply."""
    found: list[tuple[str, Path]] = []
    sources = [(f"shared/{name}", SHARED_MIGRATIONS / name) for name in migrations.shared_sets]
    sources.append((migrations.name, migrations.folder))
    for prefix, folder in sources:
        for path in sorted(folder.glob("[0-9][0-9][0-9]_*.sql")):
            found.append((f"{prefix}/{path.name}", path))
    return found


async def ensure_database(server_url: str, database_url: str) -> None:
    """Create the service's database on its server when it is missing."""
    name = urlsplit(database_url).path.lstrip("/")
    try:
        conn = await asyncpg.connect(database_url)
    except asyncpg.InvalidCatalogNameError:
        pass
    else:
        await conn.close()
        return
    admin = await asyncpg.connect(urlunsplit(urlsplit(server_url)._replace(path="/postgres")))
    try:
        await admin.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
        log.info("database created", extra={"database": name})
    except asyncpg.DuplicateDatabaseError:
        pass
    finally:
        await admin.close()


async def migrate(conn: asyncpg.Connection, migrations: Migrations) -> list[str]:
    """Apply the pending migrations of a service; returns the names applied."""
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   name text PRIMARY KEY,
                   checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {r["name"]: r["checksum"] for r in await conn.fetch("SELECT name, checksum FROM schema_migrations")}
        for name, path in migration_files(migrations):
            sql = path.read_text(encoding="utf-8")
            checksum = hashlib.sha256(sql.encode()).hexdigest()
            if name in done:
                if done[name] != checksum:
                    raise MigrationError(f"migration {name} changed after it was applied")
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)", name, checksum)
            applied_now.append(name)
            log.info("migration applied", extra={"migration": name})
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    return applied_now


async def prepare_database(server_url: str, database_url: str, migrations: Migrations) -> list[str]:
    await ensure_database(server_url, database_url)
    conn = await asyncpg.connect(database_url)
    try:
        return await migrate(conn, migrations)
    finally:
        await conn.close()


async def _init_connection(conn: asyncpg.Connection) -> None:
    for typ in ("json", "jsonb"):
        await conn.set_type_codec(typ, encoder=_json_encode, decoder=_json_decode, schema="pg_catalog")


# For a connection made outside a pool (the `thidua` verbs): json and jsonb as the services' pools read them.
init_connection = _init_connection


def _json_encode(value: object) -> str:
    import msgspec

    return msgspec.json.encode(value).decode()


def _json_decode(value: str) -> object:
    import msgspec

    return msgspec.json.decode(value)


async def create_pool(database_url: str, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    """The service's pool. A connection given back is not reset (see `_keep_session`)."""
    return await asyncpg.create_pool(
        database_url, min_size=min_size, max_size=max_size, init=_init_connection, reset=_keep_session
    )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Give a connection back as it is: asyncpg's default reset costs every request a round trip.

    The default sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on each
    release, a fifth of a nomination's database time (`tests/awards/bench_nominations.py`). Before
    this runs, asyncpg rolls back a transaction left open and drops the connection's listeners. So
    the one rule for code on a pooled connection: what it changes in the session, it undoes before
    giving the connection back, or it terminates the connection (the relay's lock and LISTEN do,
    `shared/outbox.py`); transactions, SET LOCAL and ON COMMIT DROP tables need nothing.
    """


def connection_lost(exc: BaseException) -> bool:
    """Is `exc` asyncpg's way of saying that the server ended a pooled connection (an outage, not a bug)?

    A connection the server closed under a pool raises "connection is closed" (any other InterfaceError is a
    bug). A connection the server ended while it was idle (PostgreSQL stopping sends each a FATAL, which
    asyncpg reads as an error to consume, state 2) raises this InternalClientError on its next statement,
    or when it is given back (`make drill`, restarting PostgreSQL, found both answered 500).
    """
    if isinstance(exc, asyncpg.InterfaceError):
        return "connection is closed" in str(exc)
    return isinstance(exc, asyncpg.InternalClientError) and "another operation (2) is in progress" in str(exc)
