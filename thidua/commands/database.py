"""`thidua migrate`: every service's database created when missing and brought to its latest migration."""

from __future__ import annotations

import argparse
import asyncio
import sys

from shared import db
from shared.settings import service_database_url
from thidua import registry
from thidua.commands import Subparsers
from thidua.settings import DatabaseServer


def add_parser(sub: Subparsers) -> None:
    mig = sub.add_parser("migrate", help="apply every service's migrations")
    mig.set_defaults(func=cmd_migrate)


def cmd_migrate(_: argparse.Namespace) -> int:
    server_url = DatabaseServer.from_env().url
    if not server_url:
        print("thidua: set DATABASE_URL", file=sys.stderr)
        return 2
    asyncio.run(migrate_all(server_url))
    print("migrations applied")
    return 0


async def migrate_all(server_url: str) -> None:
    """Each service's database on this server, in start order (`thidua run` does this before starting them)."""
    for spec in registry.all_services():
        await db.prepare_database(server_url, service_database_url(server_url, spec.name), spec.migrations)
