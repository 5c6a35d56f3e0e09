"""`thidua run`: everything on this machine (what `make run` does).

PostgreSQL and NATS from the wheels unless DATABASE_URL / NATS_URL name
servers, every service's migrations, the services as granian processes, an
`admin` account on an empty database, and (with `--demo=1`) the demo scenario;
then it keeps them running (thidua/supervisor.py: what exits is started
again) until Ctrl-C, and stops what it started, in reverse order.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import signal
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import asyncpg

from shared.settings import service_database_url
from thidua import devstack, registry
from thidua.commands import Subparsers
from thidua.commands.database import migrate_all
from thidua.settings import LocalStack
from thidua.supervisor import Child, Supervisor

if TYPE_CHECKING:
    from thidua.demo import ScenarioResult


def add_parser(sub: Subparsers) -> None:
    run = sub.add_parser("run", help="run everything on this machine")
    run.add_argument("--demo", type=int, choices=(0, 1), default=1, help="load the Bình Thuận 2014 scenario when empty")
    run.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    settings = LocalStack.from_env()
    var = settings.var
    var.mkdir(parents=True, exist_ok=True)
    started: list[devstack.LocalPostgres | devstack.LocalNats] = []
    database_url, nats_url = settings.database_url, settings.nats_url
    specs = registry.all_services()
    port = {s.name: s.port + settings.port_offset for s in specs}
    busy = [f"{s.name} ({port[s.name]})" for s in specs if not devstack.port_is_free(port[s.name])]
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
        asyncio.run(migrate_all(database_url))
        urls = {spec.name: f"http://127.0.0.1:{port[spec.name]}" for spec in specs}
        env = devstack.service_env(database_url, nats_url, urls)
        (var / "logs").mkdir(exist_ok=True)
        for spec in specs:
            svc = devstack.ServiceProcess(
                spec.name, port[spec.name], env, workers=settings.workers, log_path=var / "logs" / f"{spec.name}.log"
            )
            svc.start()
            services.append(svc)
        for svc in services:
            svc.wait_ready(120)
        password = asyncio.run(_bootstrap_admin(database_url, settings.admin_password))
        demo = None
        if args.demo:
            from thidua.demo import load_demo

            demo = load_demo({s.name: s.url for s in services}, admin_password=password, out=sys.stdout)
        _print_banner(services, password, settings, demo)
        supervisor = Supervisor(sys.stderr)
        for server in started:
            what = "PostgreSQL" if isinstance(server, devstack.LocalPostgres) else "NATS"
            supervisor.watch(Child(what, server.running, server.exit_status, server.start))
        for svc in services:
            supervisor.watch(Child(f"the {svc.name} service", svc.running, svc.exit_status, svc.start))
        while not stop_requested:
            supervisor.tick()
            time.sleep(0.25)
        print("\nstopping…", flush=True)
        return 0
    finally:
        for svc in reversed(services):
            svc.stop()
        for server in reversed(started):
            server.stop()
        if services or started:
            print("stopped.", flush=True)


async def _bootstrap_admin(server_url: str, wanted_password: str | None) -> str | None:
    """On an empty database, an `admin` account; its password is returned to be printed once."""
    from services.units.accounts import service as accounts  # lazily: see thidua/commands/__init__.py

    conn = await asyncpg.connect(service_database_url(server_url, "units"))
    try:
        if await accounts.count_accounts(conn):
            return None
        password = wanted_password or secrets.token_urlsafe(12)
        await accounts.create_account(conn, "admin", password, "admin")
        return password
    finally:
        await conn.close()


def _print_banner(
    services: Sequence[devstack.ServiceProcess],
    admin_password: str | None,
    settings: LocalStack,
    demo: ScenarioResult | None = None,
) -> None:
    """Where to go: the console first (where people work), with whom to sign in, then the services' APIs."""
    by_name = {svc.name: svc for svc in services}
    console = by_name["console"]
    lines = ["", "thidua is running:", f"  console  {console.url}/   (sign in here)"]
    if demo is not None and demo.accounts:
        committee = [u for u, role, _ in demo.accounts if role == "committee"]
        officers = [(u, what) for u, role, what in demo.accounts if role == "officer"]
        lines.append(f"           demo accounts, password {demo.password}:")
        lines.append(f"             committee: {', '.join(committee)}")
        for username, what in officers[:3]:
            lines.append(f"             officer:   {username} ({what})")
        if len(officers) > 3:
            lines.append(f"             and {len(officers) - 3} more officers (listed above)")
    if admin_password:
        if settings.admin_password:
            lines.append("           admin / (the password in THIDUA_ADMIN_PASSWORD)")
        else:
            lines.append(f"           admin / {admin_password}   (created now; shown once, keep it)")
    for svc in services:
        if svc.name != "console":
            lines.append(f"  {svc.name:<7}  {svc.url}   API docs: {svc.url}/schema")
    lines.append(f"  honour roll: {by_name['events'].url}/")
    lines.append(f"  data and logs: {settings.var}")
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)
