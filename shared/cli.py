"""The `thidua` command line.

    thidua run [--demo=1]          everything on this machine (what `make run` does)
    thidua create-account ...      an account, from the shell (the first admin in production)
    thidua migrate                 apply every service's migrations and stop
    thidua resend SERVICE --since  publish a service's retained events again (reconciliation)
    thidua republish SERVICE       a fresh state event for everything a service owns (reconciliation)
    thidua rebuild events          the honour roll restated from the awards service, stale rows dropped
    thidua import-units FILE       units from a CSV or XLSX file, over HTTP (shared/office.py)
    thidua import-nominations FILE nominations from a CSV or XLSX file, over HTTP
    thidua export-honorees         the public honour roll as CSV for Excel
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import secrets
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from shared.settings import DEFAULT_PORTS, SERVICES, service_database_url

if TYPE_CHECKING:
    from services.units.schemas import AccountCreate


def _var_dir() -> Path:
    return Path(os.environ.get("THIDUA_VAR", Path.cwd() / "var")).resolve()


# ------------------------------------------------------------------ run
def cmd_run(args: argparse.Namespace) -> int:
    from shared import devstack

    var = _var_dir()
    var.mkdir(parents=True, exist_ok=True)
    started: list[object] = []
    database_url = os.environ.get("DATABASE_URL")
    nats_url = os.environ.get("NATS_URL")
    busy = [f"{name} ({port})" for name, port in DEFAULT_PORTS.items() if not devstack.port_is_free(port)]
    if busy:
        print(f"thidua: these ports are in use, stop what holds them first: {', '.join(busy)}", file=sys.stderr)
        return 1
    services: list[devstack.ServiceProcess] = []
    stop_requested = False

    def request_stop(*_: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        if not database_url:
            pg = devstack.LocalPostgres(var / "postgres")
            print(f"starting PostgreSQL (embedded) on port {pg.port}, data in {pg.datadir}", flush=True)
            pg.start()
            started.append(pg)
            database_url = pg.url
        if not nats_url:
            nats = devstack.LocalNats(var / "nats")
            print(f"starting NATS with JetStream on port {nats.port}, data in {nats.datadir}", flush=True)
            nats.start()
            started.append(nats)
            nats_url = nats.url
        asyncio.run(_migrate_all(database_url))
        units_url = f"http://127.0.0.1:{DEFAULT_PORTS['units']}"
        env = devstack.service_env(database_url, nats_url, units_url)
        (var / "logs").mkdir(exist_ok=True)
        for name in SERVICES:
            svc = devstack.ServiceProcess(
                name, DEFAULT_PORTS[name], env, workers=int(os.environ.get("WORKERS", "1")),
                log_path=var / "logs" / f"{name}.log",
            )
            svc.start()
            services.append(svc)
        for svc in services:
            svc.wait_ready(120)
        password = asyncio.run(_bootstrap_admin(database_url))
        if args.demo:
            from shared.demo import load_demo

            load_demo({s.name: s.url for s in services}, admin_password=password, out=sys.stdout)
        _print_banner(services, password, var)
        while not stop_requested:
            for svc in services:
                if svc.proc is not None and svc.proc.poll() is not None:
                    print(f"thidua: the {svc.name} service stopped (code {svc.proc.returncode}); see var/logs", file=sys.stderr)
                    return 1
            time.sleep(0.5)
        print("\nstopping…", flush=True)
        return 0
    finally:
        for svc in reversed(services):
            svc.stop()
        for server in reversed(started):
            server.stop()  # type: ignore[attr-defined]
        if services or started:
            print("stopped.", flush=True)


async def _migrate_all(server_url: str) -> None:
    from shared import db

    for name in SERVICES:
        await db.prepare_database(server_url, service_database_url(server_url, name), name)


async def _bootstrap_admin(server_url: str) -> str | None:
    """On an empty database, an `admin` account; its password is returned to be printed once."""
    import asyncpg

    from services.units import keys, repository

    conn = await asyncpg.connect(service_database_url(server_url, "units"))
    try:
        if await repository.count_accounts(conn):
            return None
        password = os.environ.get("THIDUA_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        await repository.create_account(conn, "admin", await keys.hash_password(password), "admin", None)
        return password
    finally:
        await conn.close()


def _print_banner(services: list[object], admin_password: str | None, var: Path) -> None:
    lines = ["", "thidua is running:"]
    for svc in services:
        lines.append(f"  {svc.name:<7} {svc.url}   API docs: {svc.url}/schema")  # type: ignore[attr-defined]
    lines.append(f"  honour roll: {services[-1].url}/")  # type: ignore[attr-defined]
    if admin_password:
        if os.environ.get("THIDUA_ADMIN_PASSWORD"):
            lines.append("  admin account created: admin / (the password in THIDUA_ADMIN_PASSWORD)")
        else:
            lines.append(f"  admin account created: admin / {admin_password}   (shown once; keep it)")
    lines.append(f"  data and logs: {var}")
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)


# ------------------------------------------------------------------ create-account
def cmd_create_account(args: argparse.Namespace) -> int:
    """The same checks as `POST /accounts`; the password from a prompt or one line of stdin."""
    import msgspec

    from services.units.schemas import AccountCreate

    if not os.environ.get("DATABASE_URL"):
        print("thidua: set DATABASE_URL to the PostgreSQL server of the units service", file=sys.stderr)
        return 2
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("thidua: the passwords differ", file=sys.stderr)
            return 2
    try:
        data = msgspec.convert(
            {"username": args.username, "password": password, "role": args.role, "unit_id": args.unit_id},
            AccountCreate,
        )
    except msgspec.ValidationError as exc:
        import re

        message = re.sub(r"`\$\.(\w+)`", lambda m: "--" + m[1].replace("_", "-"), str(exc))
        print(f"thidua: {message}", file=sys.stderr)
        return 2
    if data.role == "officer" and data.unit_id is None:
        print("thidua: an officer needs --unit-id", file=sys.stderr)
        return 2
    return asyncio.run(_create_account(data))


async def _create_account(data: AccountCreate) -> int:
    import asyncpg

    from services.units import keys, repository
    from shared import db
    from shared.problems import Problem

    server_url = os.environ["DATABASE_URL"]
    url = service_database_url(server_url, "units")
    try:
        await db.prepare_database(server_url, url, "units")
        conn = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"thidua: cannot reach the units database: {exc}", file=sys.stderr)
        return 1
    try:
        account = await repository.create_account(
            conn, data.username, await keys.hash_password(data.password), data.role, data.unit_id
        )
    except Problem as problem:
        print(f"thidua: {problem.detail}", file=sys.stderr)
        return 1
    finally:
        await conn.close()
    print(f"created {account.role} account {account.username} ({account.id})")
    return 0


# ------------------------------------------------------------------ migrate
def cmd_migrate(_: argparse.Namespace) -> int:
    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        print("thidua: set DATABASE_URL", file=sys.stderr)
        return 2
    asyncio.run(_migrate_all(server_url))
    print("migrations applied")
    return 0


# ------------------------------------------------------------------ resend
def _parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # a time without offset is UTC


def cmd_resend(args: argparse.Namespace) -> int:
    """The reconciliation path: the service's relay publishes its retained events since a time again.

    For a broker that lost acknowledged messages (or a consumer restored from
    a backup): what JetStream still holds within its duplicate window it
    drops as a duplicate, and the consumers' inbox and version checks make
    every other repeat harmless.
    """
    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        print("thidua: set DATABASE_URL to the PostgreSQL server of the service", file=sys.stderr)
        return 2
    try:
        since = _parse_time(args.since)
        until = _parse_time(args.until) if args.until else None
    except ValueError as exc:
        print(f"thidua: not an ISO 8601 time: {exc}", file=sys.stderr)
        return 2
    import asyncpg

    try:
        count, oldest = asyncio.run(_resend(service_database_url(server_url, args.service), args.service, since, until))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"thidua: cannot reach the {args.service} database: {exc}", file=sys.stderr)
        return 1
    if oldest is not None and since < oldest:
        print(
            f"thidua: the outbox keeps events from {oldest.isoformat()} on (OUTBOX_RETENTION_DAYS);"
            " older ones are gone", file=sys.stderr,
        )
    print(f"{count} {args.service} events since {since.isoformat()} marked for publishing again")
    return 0


async def _resend(url: str, service: str, since: datetime, until: datetime | None) -> tuple[int, datetime | None]:
    import asyncpg

    from shared import outbox

    conn = await asyncpg.connect(url)
    try:
        count = await outbox.mark_for_resend(conn, service, since, until)
        return count, await conn.fetchval("SELECT min(created_at) FROM outbox")
    finally:
        await conn.close()


# ------------------------------------------------------------------ republish
def _batch_size(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def cmd_republish(args: argparse.Namespace) -> int:
    """The reconciliation path that needs nothing of the broker or the outbox's past.

    The service's snapshot (services/<service>/snapshot.py) restates every
    aggregate it owns as a new event at the aggregate's current version,
    written to its outbox `--batch` events per transaction; the relay
    publishes them. Each consumer applies what it lacks or holds older, and
    ignores the rest, so running it again changes nothing.
    """
    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        print("thidua: set DATABASE_URL to the PostgreSQL server of the service", file=sys.stderr)
        return 2
    import asyncpg

    try:
        counts = asyncio.run(_republish(service_database_url(server_url, args.service), args.service, args.batch))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"thidua: cannot reach the {args.service} database: {exc}", file=sys.stderr)
        return 1
    for subject, count in sorted(counts.items()):
        print(f"{count:>9} {subject}")
    print(f"{sum(counts.values())} {args.service} events written to the outbox for publishing")
    return 0


async def _republish(url: str, service: str, batch: int) -> dict[str, int]:
    import importlib

    import asyncpg

    from shared import events, outbox

    snapshot = importlib.import_module(f"services.{service}.snapshot").snapshot
    counts: dict[str, int] = {}
    read, write = await asyncpg.connect(url), await asyncpg.connect(url)
    try:
        async for items in snapshot(read, batch):
            async with write.transaction():
                await outbox.emit_many(write, items, producer=service)
            for data, _, _ in items:
                counts[events.subject_of(data)] = counts.get(events.subject_of(data), 0) + 1
    finally:
        await read.close()
        await write.close()
    return counts


# ------------------------------------------------------------------ rebuild
def cmd_rebuild(args: argparse.Namespace) -> int:
    """The honour roll and its campaigns confirmed row by row from the awards service.

    Every row is marked unconfirmed (version 0, still shown), the awards
    service republishes, and once the events service has applied all of it,
    what no event confirmed (an award the source does not have) is dropped.
    """
    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        print("thidua: set DATABASE_URL to the PostgreSQL server of the services", file=sys.stderr)
        return 2
    import asyncpg

    try:
        return asyncio.run(_rebuild_events(server_url, args.batch, args.timeout))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"thidua: cannot reach the databases: {exc}", file=sys.stderr)
        return 1


async def _rebuild_events(server_url: str, batch: int, timeout: float) -> int:
    import asyncpg

    from services.events import snapshot

    roll = await asyncpg.connect(service_database_url(server_url, "events"))
    awards = await asyncpg.connect(service_database_url(server_url, "awards"))
    try:
        pending = await snapshot.begin_rebuild(roll)
        print(f"{pending} roll rows to confirm", flush=True)
        since = await awards.fetchval("SELECT clock_timestamp()")
        counts = await _republish(service_database_url(server_url, "awards"), "awards", batch)
        print(f"{sum(counts.values())} awards events written to the outbox for publishing", flush=True)
        ids = [r["id"] for r in await awards.fetch("SELECT id FROM outbox WHERE created_at >= $1", since)]
        deadline = time.monotonic() + timeout
        while (applied := await roll.fetchval(
            "SELECT count(*) FROM inbox WHERE consumer = 'events-awards' AND event_id = ANY($1::uuid[])", ids
        )) < len(ids):
            if time.monotonic() > deadline:
                print(f"thidua: the events service applied {applied} of {len(ids)} events within {timeout:g}s;"
                      " nothing was dropped (unconfirmed rows are still shown): run it again", file=sys.stderr)
                return 1
            await asyncio.sleep(0.5)
        rows, campaigns = await snapshot.finish_rebuild(roll)
    finally:
        await roll.close()
        await awards.close()
    print(f"roll rebuilt: {rows} rows and {campaigns} campaigns the awards service does not have were dropped")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="thidua", description="Emulation campaigns and awards (thi đua – khen thưởng)")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run everything on this machine")
    run.add_argument("--demo", type=int, choices=(0, 1), default=1, help="load the Bình Thuận 2014 scenario when empty")
    run.set_defaults(func=cmd_run)

    acc = sub.add_parser("create-account", help="create an account directly in the units database")
    acc.add_argument("--username", required=True)
    acc.add_argument("--role", required=True, choices=("admin", "committee", "officer"))
    acc.add_argument("--unit-id")
    acc.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    acc.set_defaults(func=cmd_create_account)

    mig = sub.add_parser("migrate", help="apply every service's migrations")
    mig.set_defaults(func=cmd_migrate)

    resend = sub.add_parser("resend", help="publish a service's retained events since a time again (reconciliation)")
    resend.add_argument("service", choices=SERVICES)
    resend.add_argument("--since", required=True, help="ISO 8601 time (UTC when it has no offset)")
    resend.add_argument("--until", help="ISO 8601 time; only events written before it")
    resend.set_defaults(func=cmd_resend)

    republish = sub.add_parser(
        "republish", help="write a fresh state event for everything a service owns (reconciliation)"
    )
    republish.add_argument("service", choices=SERVICES)
    republish.add_argument("--batch", type=_batch_size, default=1000, help="events per transaction (default 1000)")
    republish.set_defaults(func=cmd_republish)

    rebuild = sub.add_parser("rebuild", help="restate a read model from its source, dropping rows it does not have")
    rebuild.add_argument("service", choices=("events",))
    rebuild.add_argument("--batch", type=_batch_size, default=1000, help="events per transaction (default 1000)")
    rebuild.add_argument("--timeout", type=float, default=600, help="seconds to wait for the events service to apply them")
    rebuild.set_defaults(func=cmd_rebuild)

    from shared import office  # import-units, import-nominations, export-honorees: over HTTP

    office.add_parsers(sub)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
