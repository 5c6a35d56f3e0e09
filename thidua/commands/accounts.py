"""`thidua create-account`: an account written straight into the units database (the first admin in production).

The same checks as `POST /accounts` (its request type), and the password from
a prompt typed twice or one line of standard input, never from an argument.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import re
import sys
from typing import TYPE_CHECKING

import asyncpg
import msgspec

from shared import db
from shared.errors import DomainError
from shared.settings import service_database_url
from thidua import registry
from thidua.commands import Subparsers
from thidua.settings import DatabaseServer

if TYPE_CHECKING:
    from services.units.accounts.schemas import AccountCreate


def add_parser(sub: Subparsers) -> None:
    acc = sub.add_parser("create-account", help="create an account directly in the units database")
    acc.add_argument("--username", required=True)
    acc.add_argument("--role", required=True, choices=("admin", "committee", "officer"))
    acc.add_argument("--unit-id")
    acc.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    acc.set_defaults(func=cmd_create_account)


def cmd_create_account(args: argparse.Namespace) -> int:
    from services.units.accounts.schemas import AccountCreate  # lazily: see thidua/commands/__init__.py

    server_url = DatabaseServer.from_env().url
    if not server_url:
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
        # The request's field names (`$.unit_id`) said as this command's options (--unit-id).
        message = re.sub(r"`\$\.(\w+)`", lambda m: "--" + m[1].replace("_", "-"), str(exc))
        print(f"thidua: {message}", file=sys.stderr)
        return 2
    if data.role == "officer" and data.unit_id is None:
        print("thidua: an officer needs --unit-id", file=sys.stderr)
        return 2
    return asyncio.run(_create_account(server_url, data))


async def _create_account(server_url: str, data: AccountCreate) -> int:
    from services.units.accounts.service import create_account  # lazily: see thidua/commands/__init__.py

    url = service_database_url(server_url, "units")
    try:
        await db.prepare_database(server_url, url, registry.service("units").migrations)
        conn = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"thidua: cannot reach the units database: {exc}", file=sys.stderr)
        return 1
    try:
        account = await create_account(conn, data.username, data.password, data.role, data.unit_id)
    except DomainError as refused:  # a taken username, an unknown unit: what `POST /accounts` refuses
        print(f"thidua: {refused.detail}", file=sys.stderr)
        return 1
    finally:
        await conn.close()
    print(f"created {account.role} account {account.username} ({account.id})")
    return 0
